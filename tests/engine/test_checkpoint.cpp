// Checkpoints: round trip of weights, buffers and optimizer state; bit-exact resume; clear
// errors for bad files; no half-written output.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"
#include "tessera/data/blobs.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/schedule.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public testing::TempDirTest {};

// A U-Net with batch norm followed by dropout: exercises weights, running statistics and the
// dropout call counter.
std::unique_ptr<Module> make_model() {
  auto s = std::make_unique<Sequential>();
  s->add(
      make_unet({.dims = 2, .in_channels = 1, .out_channels = 2, .channels = {4, 8}, .seed = 5}));
  s->add(std::make_unique<Dropout>(0.2f, 77));
  s->add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 2, .out_channels = 1, .kernel = {1, 1}}));
  s->initialize(5);
  return s;
}

const LrSchedule kSchedule{
    .kind = LrSchedule::Kind::cosine, .base_lr = 1e-2, .warmup_steps = 2, .total_steps = 8};

void train(Module& m, Optimizer& opt, int from, int to) {
  for (int step = from; step < to; ++step) {
    const auto b = data::make_blobs({.batch = 2, .size = 16, .seed = uint64_t(step)});
    train_step(m, opt, static_cast<float>(kSchedule.lr_at(step)), b.image,
               [&](const Tensor& y) { return bce_with_logits_loss(y, b.mask); });
  }
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  const Tensor pa = a.to_plain(), pb = b.to_plain();
  return pa.shape() == pb.shape() && std::memcmp(pa.raw(), pb.raw(), pa.bytes()) == 0;
}

TEST_F(CheckpointTest, RoundTripKeepsEverything) {
  auto m = make_model();
  auto opt = make_adam({.weight_decay = 1e-4f, .decoupled = true});
  train(*m, *opt, 0, 2);
  save_checkpoint(path("a.h5"), *m, opt.get(), 2, {{"note", "hello"}});
  Checkpoint ck = load_checkpoint(path("a.h5"));
  EXPECT_EQ(ck.step, 2);
  EXPECT_EQ(ck.metadata.at("note"), "hello");
  EXPECT_EQ(ck.model->config(), m->config());
  const auto pa = m->parameters(), pb = ck.model->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(bitwise_equal(pa[i]->value, pb[i]->value)) << pa[i]->name;
  const auto ba = m->buffers(), bb = ck.model->buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (size_t i = 0; i < ba.size(); ++i)
    EXPECT_TRUE(bitwise_equal(*ba[i].second, *bb[i].second)) << ba[i].first;
  ASSERT_TRUE(ck.optimizer);
  EXPECT_EQ(ck.optimizer->config(), opt->config());
  EXPECT_EQ(ck.optimizer->steps(), opt->steps());
  ASSERT_EQ(ck.optimizer->state().size(), opt->state().size());
  for (auto& [k, t] : opt->state()) EXPECT_TRUE(bitwise_equal(t, ck.optimizer->state().at(k))) << k;
}

TEST_F(CheckpointTest, ResumeReproducesTheUninterruptedRunBitForBit) {
  auto straight = make_model();
  auto opt = make_adam({});
  train(*straight, *opt, 0, 8);

  auto first = make_model();
  auto opt1 = make_adam({});
  train(*first, *opt1, 0, 4);
  save_checkpoint(path("mid.h5"), *first, opt1.get(), 4);
  Checkpoint ck = load_checkpoint(path("mid.h5"));
  train(*ck.model, *ck.optimizer, static_cast<int>(ck.step), 8);

  const auto pa = straight->parameters(), pb = ck.model->parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(bitwise_equal(pa[i]->value, pb[i]->value)) << pa[i]->name;
  const auto ba = straight->buffers(), bb = ck.model->buffers();
  for (size_t i = 0; i < ba.size(); ++i)
    EXPECT_TRUE(bitwise_equal(*ba[i].second, *bb[i].second)) << ba[i].first;
  // And the run did change the weights, so the comparison means something.
  EXPECT_FALSE(bitwise_equal(pa[0]->value, make_model()->parameters()[0]->value));
}

TEST_F(CheckpointTest, DescriptionSaysLongTextByItsLength) {
  Sequential none;
  const std::string forest(5000, 'x');
  save_checkpoint(path("f.h5"), none, nullptr, 0, {{"forest", forest}, {"note", "short"}});
  const nlohmann::json d = describe_checkpoint(path("f.h5"));
  EXPECT_EQ(d["metadata"]["forest"], "(5000 characters)");
  EXPECT_EQ(d["metadata"]["note"], "short");
  EXPECT_EQ(load_checkpoint(path("f.h5")).metadata["forest"], forest);  // kept whole
}

TEST_F(CheckpointTest, BadFilesGiveClearErrors) {
  auto expect_error = [](const std::string& p, const std::string& fragment) {
    try {
      load_checkpoint(p);
      ADD_FAILURE() << "no error for " << p;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error(path("missing.h5"), "does not exist");
  std::ofstream(path("text.h5")) << "not hdf5";
  expect_error(path("text.h5"), "not an HDF5 file");
  { H5::H5File f(path("other.h5"), H5F_ACC_TRUNC); }
  expect_error(path("other.h5"), "not a tessera checkpoint");

  auto m = make_model();
  save_checkpoint(path("good.h5"), *m, nullptr, 0);
  fs::resize_file(path("good.h5"), fs::file_size(path("good.h5")) / 2);  // truncated copy
  EXPECT_THROW(load_checkpoint(path("good.h5")), std::runtime_error);
}

TEST_F(CheckpointTest, FailedSaveLeavesNothing) {
  auto m = make_model();
  EXPECT_THROW(save_checkpoint(path("no/such/dir/x.h5"), *m, nullptr, 0), std::runtime_error);
  save_checkpoint(path("ok.h5"), *m, nullptr, 0);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);  // only ok.h5: no temporary left behind
}

TEST(UNet, LearnsSyntheticSegmentation) {
  auto net = make_unet({.dims = 2, .channels = {8, 16}, .seed = 1});
  auto opt = make_adam({});
  const LrSchedule sched{
      .kind = LrSchedule::Kind::cosine, .base_lr = 5e-3, .warmup_steps = 5, .total_steps = 200};
  float first = 0.f, last = 1e9f;
  for (int step = 0; step < 200; ++step) {
    const auto b = data::make_blobs({.batch = 4, .size = 32, .seed = uint64_t(step)});
    const float l = train_step(*net, *opt, static_cast<float>(sched.lr_at(step)), b.image,
                               [&](const Tensor& y) { return bce_with_logits_loss(y, b.mask); });
    if (step == 0) first = l;
    last = l;
  }
  // Held-out loss in eval mode, with running batch-norm statistics.
  const auto test = data::make_blobs({.batch = 8, .size = 32, .seed = 12345});
  const float held_out =
      bce_with_logits_loss(net->forward(test.image, Mode::eval), test.mask).value;
  EXPECT_LT(last, first / 10) << "training loss " << first << " -> " << last;
  EXPECT_LT(held_out, first / 10) << "held-out loss " << held_out;
}

}  // namespace
}  // namespace tessera
