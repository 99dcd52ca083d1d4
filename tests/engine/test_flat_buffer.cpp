// FlatBuffer and the tensor collectives built on it (allreduce_mean, broadcast), against a
// stand-in for a second rank: the packing, the means and the devices, without mpirun.
#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/dist/flat_buffer.hpp"

namespace tessera {
namespace {

// Two ranks seen from rank 0, where rank 1 holds each value plus one; host memory only.
class TwinCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string backend() const override { return "twin"; }
  void allreduce_sum(float* data, int64_t n) override {
    for (int64_t i = 0; i < n; ++i) data[i] = data[i] + (data[i] + 1.f);
    ++calls;
  }
  void broadcast(float* data, int64_t n, int root) override {
    if (root == 1)
      for (int64_t i = 0; i < n; ++i) data[i] += 1.f;
    ++calls;
  }
  void allgather(const float*, int64_t, float*) override {}
  void barrier() override {}
  int calls = 0;
};

TEST(FlatBuffer, PartsLieEndToEndAndTakeAnyLayout) {
  TwinCommunicator comm;
  const Tensor a = testing::random_tensor({2, 3}, 1), b = testing::random_tensor({1, 16, 2, 2}, 2);
  FlatBuffer flat({a.shape(), b.shape()}, Device::cpu(), comm);
  ASSERT_EQ(flat.parts(), 2u);
  ASSERT_EQ(flat.numel(), 6 + 64);
  for (int64_t i = 0; i < flat.numel(); ++i) EXPECT_EQ(flat.data()[i], 0.f) << "zeroed";
  flat.put(0, a);
  flat.put(1, b.to_layout(Layout::channel_blocked(b.shape(), 8)));  // plain in the buffer
  const std::vector<float> va = a.to_vector(), vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i) EXPECT_EQ(flat.data()[i], va[i]);
  for (size_t i = 0; i < vb.size(); ++i) EXPECT_EQ(flat.data()[6 + i], vb[i]);
  EXPECT_EQ(flat.part(1).to_vector(), vb);
  EXPECT_EQ(flat.part(1).shape(), b.shape());
  EXPECT_THROW(flat.put(0, b), std::logic_error);
  flat.zero();
  EXPECT_EQ(flat.part(0).to_vector(), std::vector<float>(6, 0.f));
}

TEST(FlatBuffer, MeansOverRanksInOneReduction) {
  TwinCommunicator comm;
  Tensor a = testing::random_tensor({4}, 3), b = testing::random_tensor({2, 2}, 4);
  const std::vector<float> va = a.to_vector(), vb = b.to_vector();
  allreduce_mean(comm, {&a, &b});
  EXPECT_EQ(comm.calls, 1);
  ASSERT_EQ(b.shape(), (Shape{2, 2}));
  for (size_t i = 0; i < va.size(); ++i) EXPECT_FLOAT_EQ(a.to_vector()[i], va[i] + 0.5f);
  for (size_t i = 0; i < vb.size(); ++i) EXPECT_FLOAT_EQ(b.to_vector()[i], vb[i] + 0.5f);
}

TEST(FlatBuffer, BroadcastTakesTheRootsTensor) {
  TwinCommunicator comm;
  Tensor t = testing::random_tensor({3, 2}, 5);
  const std::vector<float> mine = t.to_vector();
  broadcast(comm, {&t}, 0);
  EXPECT_EQ(t.to_vector(), mine);
  broadcast(comm, {&t}, 1);
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_FLOAT_EQ(t.to_vector()[i], mine[i] + 1.f);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
}

}  // namespace
}  // namespace tessera
