// Whole networks on the GPU against the CPU (labelled gpu): training steps of the networks the
// applications build (plain and reversible U-Nets in 2D and 3D, group norm and average pooling,
// the LSTM) with SGD, Adam and K-FAC, batches kept in host memory, optimizer state restored from
// the host, and a model trained on the GPU saved, loaded on the CPU and run there.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

namespace {

using ModelFactory = std::function<std::unique_ptr<Module>()>;

const nlohmann::json kSgd = {{"type", "sgd"}, {"momentum", 0.9}};

// Two steps of the same network on both devices towards a random target: the losses, then
// every parameter and running statistic.
void expect_same_steps(const ModelFactory& make, const Tensor& x,
                       const nlohmann::json& optimizer = kSgd) {
  auto cpu = make(), gpu = make();
  const Tensor target = random_tensor(make()->forward(x, Mode::eval).shape(), 99);
  move_to(*gpu, kGpu);
  auto opt_cpu = make_optimizer(optimizer), opt_gpu = make_optimizer(optimizer);
  const Tensor gx = x.to(kGpu), gtarget = target.to(kGpu);
  for (int step = 0; step < 2; ++step) {
    const float on_cpu =
        train_step(*cpu, *opt_cpu, 0.01f, x, [&](const Tensor& y) { return mse_loss(y, target); });
    const float on_gpu = train_step(*gpu, *opt_gpu, 0.01f, gx,
                                    [&](const Tensor& y) { return mse_loss(y, gtarget); });
    EXPECT_NEAR(on_gpu, on_cpu, 1e-4 * std::abs(on_cpu)) << "step " << step;
  }
  const auto pc = cpu->parameters(), pg = gpu->parameters();
  ASSERT_EQ(pc.size(), pg.size());
  for (std::size_t i = 0; i < pc.size(); ++i) {
    EXPECT_EQ(pg[i]->value.device(), kGpu) << pc[i]->name;
    EXPECT_GPU_NEAR(pg[i]->value, pc[i]->value, 1e-4) << pc[i]->name;
  }
  const auto bc = cpu->buffers(), bg = gpu->buffers();
  ASSERT_EQ(bc.size(), bg.size());
  for (std::size_t i = 0; i < bc.size(); ++i)
    EXPECT_GPU_NEAR(*bg[i].second, *bc[i].second, 1e-4) << bc[i].first;
}

ModelFactory unet(UNetOptions o) {
  return [o] { return std::unique_ptr<Module>(make_unet(o)); };
}

}  // namespace

TEST(CudaTraining, UNets2DAnd3DMatchTheCpu) {
  REQUIRE_GPU();
  expect_same_steps(unet({.dims = 2, .channels = {4, 8}, .seed = 1}),
                    random_tensor({2, 1, 16, 16}, 1));
  expect_same_steps(unet({.dims = 3, .channels = {4, 8}, .seed = 2}),
                    random_tensor({1, 1, 8, 12, 12}, 3));
  expect_same_steps(unet({.dims = 2,
                          .in_channels = 3,
                          .out_channels = 2,
                          .channels = {8, 16},
                          .norm = UNetOptions::Norm::group,
                          .norm_groups = 4,
                          .down = PoolKind::avg,
                          .activation = Activation::elu,
                          .seed = 3}),
                    random_tensor({2, 3, 16, 16}, 5));
  expect_same_steps(unet({.dims = 2, .channels = {4, 8}, .padded = false, .seed = 4}),
                    random_tensor({1, 1, 44, 44}, 7));
}

TEST(CudaTraining, ReversibleUNetsMatchTheCpu) {
  REQUIRE_GPU();
  expect_same_steps(unet({.dims = 2, .channels = {4, 8}, .reversible = true, .seed = 5}),
                    random_tensor({2, 1, 16, 16}, 9));
  expect_same_steps(unet({.dims = 3, .channels = {4, 8}, .reversible = true, .seed = 6}),
                    random_tensor({1, 1, 8, 8, 8}, 11));
}

TEST(CudaTraining, LstmMatchesTheCpu) {
  REQUIRE_GPU();
  const ModelFactory lstm = [] {
    auto m = std::make_unique<Lstm>(LstmOptions{.input_size = 3, .hidden_size = 5});
    m->initialize(7);
    return std::unique_ptr<Module>(std::move(m));
  };
  expect_same_steps(lstm, random_tensor({4, 3, 30}, 13));
}

// K-FAC on the GPU: factors, cuSOLVER eigendecompositions and the preconditioned step give
// the CPU's weights; Adam's moments live beside the weights.
TEST(CudaTraining, KfacAndAdamMatchTheCpu) {
  REQUIRE_GPU();
  const auto net = unet({.dims = 2,
                         .channels = {4, 8},
                         .norm = UNetOptions::Norm::none,
                         .activation = Activation::elu,
                         .seed = 12});
  expect_same_steps(net, random_tensor({2, 1, 16, 16}, 17),
                    {{"type", "kfac"}, {"factor_interval", 1}, {"inverse_interval", 1}});
  expect_same_steps(net, random_tensor({2, 1, 16, 16}, 19), {{"type", "adam"}});
}

// The applications keep batches and targets in host memory: train_step runs the model on its
// GPU and the loss on the host, and the step is the CPU's.
TEST(CudaTraining, HostBatchesTrainAModelOnTheGpu) {
  REQUIRE_GPU();
  auto cpu = make_unet({.dims = 2, .channels = {4, 8}, .seed = 13});
  auto gpu = make_unet({.dims = 2, .channels = {4, 8}, .seed = 13});
  move_to(*gpu, kGpu);
  auto opt_cpu = make_adam({}), opt_gpu = make_adam({});
  const Tensor x = random_tensor({2, 1, 16, 16}, 21), target = random_tensor({2, 1, 16, 16}, 22);
  const LossFn loss = [&](const Tensor& y) {
    EXPECT_TRUE(y.device().is_host());
    return mse_loss(y, target);
  };
  for (int step = 0; step < 2; ++step)
    EXPECT_NEAR(train_step(*gpu, *opt_gpu, 0.01f, x, loss),
                train_step(*cpu, *opt_cpu, 0.01f, x, loss), 1e-5);
  const auto pc = cpu->parameters(), pg = gpu->parameters();
  for (std::size_t i = 0; i < pc.size(); ++i)
    EXPECT_GPU_NEAR(pg[i]->value, pc[i]->value, 1e-4) << pc[i]->name;
}

// Optimizer state restored from a checkpoint is host memory; it follows the GPU model's
// parameters on the next step, which is the CPU's next step.
TEST(CudaTraining, RestoredOptimizerStateMovesToTheGpu) {
  REQUIRE_GPU();
  auto cpu = make_unet({.dims = 2, .channels = {4, 8}, .seed = 14});
  auto opt_cpu = make_adam({});
  const Tensor x = random_tensor({2, 1, 16, 16}, 23), target = random_tensor({2, 1, 16, 16}, 24);
  const LossFn loss = [&](const Tensor& y) { return mse_loss(y, target); };
  train_step(*cpu, *opt_cpu, 0.01f, x, loss);
  auto gpu = make_unet({.dims = 2, .channels = {4, 8}, .seed = 14});
  const auto from = cpu->parameters(), to = gpu->parameters();
  for (std::size_t i = 0; i < from.size(); ++i) to[i]->value = from[i]->value.clone();
  const auto stats = cpu->buffers(), into = gpu->buffers();
  for (std::size_t i = 0; i < stats.size(); ++i) *into[i].second = stats[i].second->clone();
  move_to(*gpu, kGpu);
  auto opt_gpu = make_adam({});
  for (auto& [key, t] : opt_cpu->state()) opt_gpu->state()[key] = t.clone();
  opt_gpu->set_steps(opt_cpu->steps());
  train_step(*cpu, *opt_cpu, 0.01f, x, loss);
  train_step(*gpu, *opt_gpu, 0.01f, x, loss);
  for (auto& [key, t] : opt_gpu->state()) EXPECT_EQ(t.device(), kGpu) << key;
  const auto pc = cpu->parameters(), pg = gpu->parameters();
  for (std::size_t i = 0; i < pc.size(); ++i)
    EXPECT_GPU_NEAR(pg[i]->value, pc[i]->value, 1e-4) << pc[i]->name;
}

class CudaCheckpoint : public tessera::testing::TempDirTest {};

// A model trained on the GPU saves as any model does; loaded on the CPU (or moved back to the
// GPU) it gives the outputs it gave on the GPU.
TEST_F(CudaCheckpoint, TrainedOnTheGpuRunsOnTheCpu) {
  REQUIRE_GPU();
  auto net = make_unet({.dims = 2, .channels = {4, 8}, .seed = 8});
  move_to(*net, kGpu);
  auto opt = make_sgd({.momentum = 0.9f});
  const Tensor x = random_tensor({2, 1, 16, 16}, 15), target = random_tensor({2, 1, 16, 16}, 16);
  const Tensor gx = x.to(kGpu), gtarget = target.to(kGpu);
  for (int step = 0; step < 3; ++step)
    train_step(*net, *opt, 0.01f, gx, [&](const Tensor& y) { return mse_loss(y, gtarget); });
  const Tensor on_gpu = net->forward(gx, Mode::eval);
  save_checkpoint(path("gpu.h5"), *net, opt.get(), 3);
  Checkpoint ck = load_checkpoint(path("gpu.h5"));
  EXPECT_EQ(ck.model->parameters().front()->value.device(), Device::cpu());
  EXPECT_GPU_NEAR(on_gpu, ck.model->forward(x, Mode::eval), 1e-4);
  move_to(*ck.model, kGpu);
  EXPECT_GPU_NEAR(ck.model->forward(gx, Mode::eval), on_gpu.to(Device::cpu()), 1e-5);
}
