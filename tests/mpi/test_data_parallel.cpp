// Run under mpirun with 2 or more ranks (ctest label mpi): collectives, identical initial
// weights, and data-parallel training that matches one process on the combined batch, with
// SGD and with distributed K-FAC (factors reduced, eigendecompositions spread over ranks).
// `mpi_tests nccl` runs the same over NCCL with a GPU per rank (labelled gpu too, through
// nccl_run.sh, which skips where there are not 2 GPUs): the models train there and gradients
// and factors are reduced in GPU memory.
#include <gtest/gtest.h>

#include <string>

#include "gradcheck.hpp"
#include "tessera/dist/communicator.hpp"
#include "tessera/dist/data_parallel.hpp"
#include "tessera/dist/flat_buffer.hpp"
#include "tessera/info.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera {
namespace {

// The run's communicator, made by main() before the tests and closed after them, and where
// this rank's models compute (the CPU under MPI, the rank's GPU under NCCL).
Communicator* comm = nullptr;
Device device = Device::cpu();

TEST(Mpi, TensorsAreReducedOnTheirDevice) {
  const int r = comm->rank(), n = comm->size();
  Tensor a = Tensor::full({3}, float(r), device), b = Tensor::full({2, 2}, 1.f + float(r), device);
  allreduce_mean(*comm, {&a, &b});
  EXPECT_EQ(a.device(), device);
  EXPECT_EQ(a.to_vector(), std::vector<float>(3, float(n - 1) / 2));
  EXPECT_EQ(b.to_vector(), std::vector<float>(4, 1.f + float(n - 1) / 2));
  Tensor c = Tensor::full({5}, float(r), device);
  broadcast(*comm, {&c}, n - 1);
  EXPECT_EQ(c.device(), device);
  EXPECT_EQ(c.to_vector(), std::vector<float>(5, float(n - 1)));
}

TEST(Mpi, CollectivesCombineEveryRank) {
  const int r = comm->rank(), n = comm->size();
  ASSERT_GE(n, 2) << "run under mpirun -np 2";
  std::vector<float> v = {float(r), 1.f, float(r * r)};
  comm->allreduce_sum(v.data(), 3);
  EXPECT_EQ(v[0], float(n * (n - 1) / 2));
  EXPECT_EQ(v[1], float(n));

  std::vector<float> big(1 << 20, float(r + 1));  // through the nonblocking path
  auto pending = comm->start_allreduce_sum(big.data(), int64_t(big.size()));
  pending->wait();
  EXPECT_EQ(big.front(), float(n * (n + 1) / 2));
  EXPECT_EQ(big.back(), float(n * (n + 1) / 2));

  std::vector<float> b = {float(r), float(r) + 0.5f};
  comm->broadcast(b.data(), 2, n - 1);
  EXPECT_EQ(b[0], float(n - 1));
  EXPECT_EQ(b[1], float(n - 1) + 0.5f);

  const float mine[2] = {float(r), float(10 * r)};
  std::vector<float> all(size_t(2 * n));
  comm->allgather(mine, 2, all.data());
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(all[size_t(2 * k)], float(k));
    EXPECT_EQ(all[size_t(2 * k + 1)], float(10 * k));
  }
  comm->barrier();
  EXPECT_FLOAT_EQ(comm->allreduce_mean(float(r)), float(n - 1) / 2);
}

std::unique_ptr<Graph> small_unet(uint64_t seed) {
  // No batch norm: its batch statistics are per rank, so no data-parallel run reproduces them.
  // Smooth activation and average pooling: at a ReLU kink or a max-pooling tie, rounding
  // differences of 1e-8 (sums in another order) would switch a gradient path on or off.
  return make_unet({.dims = 2,
                    .channels = {4, 8},
                    .norm = UNetOptions::Norm::none,
                    .down = PoolKind::avg,
                    .activation = Activation::elu,
                    .seed = seed});
}

TEST(Mpi, GradientSyncStartsEveryRankFromRankZerosWeights) {
  auto net = small_unet(40 + uint64_t(comm->rank()));
  auto reference = small_unet(40);
  move_to(*net, device);
  GradientSync sync(*net, *comm);
  const auto a = net->parameters(), b = reference->parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]->value.device(), device);
    ASSERT_EQ(a[i]->value.to_vector(), b[i]->value.to_vector()) << a[i]->name;
  }
}

// 20 steps on `size` x 2 images: every rank trains on its 2 with GradientSync, and each rank
// also trains a second model alone on all of them; the weights must agree.
void expect_like_one_process(const nlohmann::json& optimizer, float lr, int64_t bucket_bytes) {
  const int64_t per_rank = 2, batch = per_rank * comm->size();
  const Shard mine = shard_of(batch, comm->rank(), comm->size());
  auto alone = small_unet(7);
  auto alone_opt = make_optimizer(optimizer);
  auto net = small_unet(7 + uint64_t(comm->rank()));  // GradientSync makes them equal
  auto opt = make_optimizer(optimizer);
  move_to(*alone, device);
  move_to(*net, device);  // the batches stay in host memory: train_step copies them over
  GradientSync sync(*net, *comm, bucket_bytes);
  for (int step = 0; step < 20; ++step) {
    const Tensor x = testing::random_tensor({batch, 1, 16, 16}, 1000 + uint64_t(step));
    Tensor t = Tensor::empty(x.shape());  // learnable: where the image is positive
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = x.data()[i] > 0 ? 1.f : 0.f;
    const float whole = train_step(*alone, *alone_opt, lr, x,
                                   [&](const Tensor& y) { return bce_with_logits_loss(y, t); });
    const Tensor xs = take_shard(x, mine), ts = take_shard(t, mine);
    const float shared = train_step(
        *net, *opt, lr, xs, [&](const Tensor& y) { return bce_with_logits_loss(y, ts); }, &sync);
    ASSERT_NEAR(whole, shared, 1e-5) << "loss at step " << step;
  }
  const auto a = alone->parameters(), b = net->parameters();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::vector<float> va = a[i]->value.to_vector(), vb = b[i]->value.to_vector();
    for (size_t k = 0; k < va.size(); ++k) worst = std::max(worst, double(std::abs(va[k] - vb[k])));
  }
  EXPECT_LE(worst, 1e-5) << "largest weight difference after 20 steps";
  // ... and every rank holds the same weights.
  for (Param* p : b) {
    const std::vector<float> mine = p->value.to_vector();
    std::vector<float> mean = mine;
    comm->allreduce_mean(mean.data(), int64_t(mean.size()));
    ASSERT_EQ(mean, mine) << p->name;
  }
}

TEST(Mpi, SgdOnTwoRanksMatchesOneProcessOnTheCombinedBatch) {
  expect_like_one_process({{"type", "sgd"}, {"momentum", 0.9}}, 0.05f, 4 << 20);
}

TEST(Mpi, SmallBucketsReduceTheSameGradients) {
  expect_like_one_process({{"type", "sgd"}, {"momentum", 0.9}}, 0.05f,
                          256);  // a bucket per parameter
}

TEST(Mpi, KfacOnTwoRanksMatchesOneProcessOnTheCombinedBatch) {
  expect_like_one_process({{"type", "kfac"}, {"factor_interval", 2}, {"inverse_interval", 4}},
                          0.01f, 4 << 20);
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string backend = argc > 1 ? argv[1] : "mpi";
  auto comm = tessera::make_communicator(backend);
  tessera::comm = comm.get();
  if (backend == "nccl")
    tessera::device = tessera::Device::cuda(comm->rank() % tessera::cuda_devices());
  // One report is enough: the other ranks print only their failures.
  if (comm->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  // Every rank's verdict counts: a failure on any rank fails the run.
  const float any = comm->allreduce_mean(float(failed != 0));
  return any > 0 ? 1 : 0;
}
