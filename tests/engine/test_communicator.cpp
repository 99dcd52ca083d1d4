// The single-process side of distributed training: shards, the local communicator, and
// GradientSync and K-FAC being exact no-ops around a one-process run. The multi-process side
// is tests/mpi (run under mpirun).
#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/dist/communicator.hpp"
#include "tessera/dist/data_parallel.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera {
namespace {

TEST(Shard, CoversEveryItemOnceWithSizesWithinOne) {
  for (int64_t n : {0, 1, 5, 7, 64})
    for (int size : {1, 2, 3, 8}) {
      int64_t next = 0;
      for (int r = 0; r < size; ++r) {
        const Shard s = shard_of(n, r, size);
        EXPECT_EQ(s.begin, next);
        EXPECT_GE(s.size(), n / size);
        EXPECT_LE(s.size(), n / size + 1);
        next = s.end;
      }
      EXPECT_EQ(next, n);
    }
  EXPECT_THROW(shard_of(4, 2, 2), std::invalid_argument);
}

TEST(Shard, TakeShardKeepsThoseSamples) {
  const Tensor x = testing::random_tensor({5, 2, 3, 3}, 1);
  const Tensor s = take_shard(x, {2, 4}).to_plain();
  ASSERT_EQ(s.shape(), (Shape{2, 2, 3, 3}));
  for (int64_t i = 0; i < s.numel(); ++i) EXPECT_EQ(s.data()[i], x.data()[2 * 18 + i]);
  EXPECT_THROW(take_shard(x, {4, 6}), std::invalid_argument);
}

TEST(LocalCommunicator, IsOneRankAndCollectivesKeepTheData) {
  auto comm = make_communicator("local");
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->size(), 1);
  std::vector<float> v = {1.5f, -2.f};
  comm->allreduce_sum(v.data(), 2);
  comm->allreduce_mean(v.data(), 2);
  comm->broadcast(v.data(), 2, 0);
  comm->start_allreduce_sum(v.data(), 2)->wait();
  EXPECT_EQ(v, (std::vector<float>{1.5f, -2.f}));
  std::vector<float> all(2);
  comm->allgather(v.data(), 2, all.data());
  EXPECT_EQ(all, v);
  EXPECT_THROW(comm->broadcast(v.data(), 2, 1), std::invalid_argument);
  EXPECT_THROW(make_communicator("carrier-pigeon"), std::invalid_argument);
  EXPECT_NE(communicator_backends().find("local"), std::string::npos);
}

// A one-process GradientSync changes nothing: the same weights as training without it.
TEST(GradientSync, OneProcessTrainsExactlyAsWithout) {
  auto comm = make_communicator("local");
  auto a = make_unet({.dims = 2, .channels = {4, 8}, .seed = 3});
  auto b = make_unet({.dims = 2, .channels = {4, 8}, .seed = 3});
  GradientSync sync(*b, *comm);
  auto oa = make_optimizer({{"type", "kfac"}}), ob = make_optimizer({{"type", "kfac"}});
  for (int step = 0; step < 3; ++step) {
    const Tensor x = testing::random_tensor({2, 1, 8, 8}, 10 + uint64_t(step));
    const Tensor t = testing::random_tensor({2, 1, 8, 8}, 20 + uint64_t(step), 0.f, 1.f);
    auto loss = [&](const Tensor& y) { return bce_with_logits_loss(y, t); };
    EXPECT_EQ(train_step(*a, *oa, 0.05f, x, loss), train_step(*b, *ob, 0.05f, x, loss, &sync));
  }
  const auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    for (int64_t k = 0; k < pa[i]->value.numel(); ++k)
      ASSERT_EQ(pa[i]->value.data()[k], pb[i]->value.data()[k]) << pa[i]->name;
}

}  // namespace
}  // namespace tessera
