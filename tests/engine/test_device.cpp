// Devices, layouts and dispatch: every tensor knows its device, layouts are plain values, and
// ops refuse operands on two devices before any backend runs.
#include <gtest/gtest.h>

#include <vector>

#include "error_of.hpp"
#include "gradcheck.hpp"
#include "tessera/info.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/ops/conv.hpp"
#include "tessera/ops/elementwise.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/tensor/tensor.hpp"

using namespace tessera;
using tessera::testing::blocked8;
using tessera::testing::error_of;

TEST(Layout, PlainAndBlockedByHand) {
  const Layout p = Layout::plain({2, 3, 4, 5});
  EXPECT_TRUE(p.is_plain());
  EXPECT_EQ(p.strides, (Shape{60, 20, 5, 1}));
  EXPECT_EQ(p.bytes(), 2u * 3 * 4 * 5 * 4);

  // nChw8c: 3 channels padded to 8; outer strides count whole blocks of 8.
  const Layout b = Layout::channel_blocked({2, 3, 4, 5}, 8);
  EXPECT_FALSE(b.is_plain());
  EXPECT_EQ(b.padded_dims, (Shape{2, 8, 4, 5}));
  EXPECT_EQ(b.strides, (Shape{160, 160, 40, 8}));
  EXPECT_EQ(b.blocks, (std::vector<Layout::Block>{{1, 8}}));
  EXPECT_EQ(b.bytes(), 2u * 8 * 4 * 5 * 4);
  EXPECT_EQ(Layout::plain({7}, DataType::u8).bytes(), 7u);
}

TEST(Layout, BlockedRoundTripKeepsValues) {
  const Tensor x = Tensor::from_vector({1, 3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  const Tensor b = blocked8(x);
  EXPECT_EQ(b.layout(), Layout::channel_blocked({1, 3, 2, 2}, 8));
  EXPECT_EQ(b.to_vector(), x.to_vector());
  EXPECT_THROW(b.clone().data(), std::logic_error);  // host, but not plain
}

// oneDNN hands out size-1 dims with any stride ([2,1,8,8] channels-last): still plain.
TEST(Layout, StridesOfSizeOneDimsDoNotCount) {
  Layout odd = Layout::plain({2, 1, 8, 8});
  odd.strides = {64, 1, 8, 1};
  EXPECT_TRUE(odd.is_plain());
  EXPECT_EQ(odd, Layout::plain({2, 1, 8, 8}));
  EXPECT_EQ(odd.bytes(), Layout::plain({2, 1, 8, 8}).bytes());
  const Tensor x = tessera::testing::random_tensor({2, 3, 8, 8}, 5);
  const Tensor one = crop(x, {0, 1, 0, 0}, {2, 1, 8, 8});
  EXPECT_TRUE(one.is_plain());
  EXPECT_EQ(one.data()[64], x.data()[3 * 64 + 64]);  // sample 1, channel 1, first pixel
}

TEST(Device, TensorsKnowTheirDevice) {
  const Tensor x = Tensor::zeros({2, 2});
  EXPECT_EQ(x.device(), Device::cpu());
  EXPECT_EQ(to_string(Device::cuda(1)), "cuda:1");
  EXPECT_EQ(x.to(Device::cpu()).raw(), x.raw());  // already there: no copy
}

TEST(Device, MemoryIsCountedPerDevice) {
  const std::size_t before = memory_stats().current_bytes;
  const Tensor x = Tensor::zeros({256, 256});
  EXPECT_EQ(memory_stats().current_bytes, before + x.bytes());
  EXPECT_EQ(memory_stats(Device::cuda(0)).current_bytes, 0u);
}

// A fake second device: host bytes labelled as GPU 1, so the checks run without a GPU.
TEST(Dispatch, OperandsOnTwoDevicesAreRefused) {
  std::vector<float> bytes(4, 1.f);
  Tensor fake = Tensor::borrow(bytes.data(), Layout::plain({2, 2}), Device::cuda(1));
  const Tensor host = Tensor::full({2, 2}, 2.f);
  EXPECT_EQ(fake.device(), Device::cuda(1));
  EXPECT_EQ(error_of([&] { add(host, fake); }),
            "add: operands on different devices, cpu and cuda:1; move them to one with "
            "Tensor::to");
  const Tensor signal = Tensor::borrow(bytes.data(), Layout::plain({1, 1, 4}), Device::cuda(1));
  EXPECT_HAS(error_of([&] {
               conv_forward(signal, Tensor::zeros({1, 1, 3}), Tensor(), {});
             }),
             "conv: operands on different devices, cuda:1 and cpu");
  // Contracts are checked before devices: a wrong shape says so on any device.
  EXPECT_HAS(error_of([&] { add(host, Tensor::zeros({3})); }), "shapes [2,2] and [3] differ");
}

TEST(Dispatch, HostAccessToADeviceTensorIsRefused) {
  std::vector<float> bytes(4, 1.f);
  Tensor fake = Tensor::borrow(bytes.data(), Layout::plain({2, 2}), Device::cuda(1));
  EXPECT_HAS(error_of([&] { fake.data(); }), "data() of a tensor on cuda:1");
  // No backend for the device in this build: ops on it say so rather than run.
  EXPECT_HAS(error_of([&] { scale(fake, 2.f); }), "cuda:1");
}

TEST(Device, ParsedFromTheirNames) {
  EXPECT_EQ(parse_device("cpu"), Device::cpu());
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU", ""})
    EXPECT_EQ(error_of([&] { parse_device(bad); }),
              "device '" + std::string(bad) + "': use cpu, cuda, cuda:N or auto");
  if (cuda_devices() == 0) {
    // Without a usable GPU, auto is the CPU and a GPU by name is refused in one line.
    EXPECT_EQ(parse_device("auto"), Device::cpu());
    EXPECT_EQ(default_device(), Device::cpu());
    const std::string e = error_of([] { parse_device("cuda:1"); });
    EXPECT_HAS(e, "cuda:1");
    EXPECT_EQ(e.find('\n'), std::string::npos);
  } else {
    EXPECT_EQ(parse_device("auto"), Device::cuda(0));
    EXPECT_EQ(parse_device("cuda"), Device::cuda(0));
  }
  synchronize(Device::cpu());  // nothing queued: returns
}

// Moving a model to the device it is on keeps its tensors (no copies).
TEST(Device, MovingAModelToItsDeviceKeepsItsTensors) {
  auto net = make_unet({.dims = 2, .channels = {4, 8}, .seed = 1});
  const Param* first = net->parameters().front();
  const void* before = first->value.raw();
  move_to(*net, Device::cpu());
  EXPECT_EQ(net->parameters().front()->value.raw(), before);
  for (auto& [name, buffer] : net->buffers()) EXPECT_EQ(buffer->device(), Device::cpu()) << name;
}
