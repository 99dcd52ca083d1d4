// The training loop: a run stopped part way (by a step limit or a signal) and resumed ends with
// the uninterrupted run's weights, bit for bit; checkpoints on time; fine-tuning; history and
// validation; errors before the first step; a step skips only the data's gradient.
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "gradcheck.hpp"
#include "temp_dir.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/kfac.hpp"
#include "tessera/train/trainer.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;

class TrainingLoopTest : public testing::TempDirTest {};

constexpr int64_t kSteps = 10;

// A U-Net with batch norm, then dropout (whose call counter is state too).
std::unique_ptr<Module> make_model(std::vector<int64_t> channels = {4, 8}) {
  auto s = std::make_unique<Sequential>();
  s->add(
      make_unet({.dims = 2, .in_channels = 1, .out_channels = 2, .channels = channels, .seed = 5}));
  s->add(std::make_unique<Dropout>(0.2f, 77));
  s->add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 2, .out_channels = 1, .kernel = {1, 1}}));
  s->initialize(5);
  return s;
}

// Data drawn from an RNG the task keeps: without its state in the checkpoint a resumed run
// would see other batches.
struct ToyRun {
  std::unique_ptr<Module> model = make_model();
  std::unique_ptr<Optimizer> opt = make_adam({});
  std::mt19937_64 rng{42};
  int64_t steps_taken = 0;
  std::function<void(int64_t)> during_step{};

  std::vector<HistoryRow> train(const RunSettings& s, int64_t validate_every = 0,
                                std::function<Validation()> validate = {}) {
    TrainingLoop loop(s, model, *opt);
    return loop.run(
        {.steps = kSteps,
         .schedule = {.kind = LrSchedule::Kind::cosine,
                      .base_lr = 1e-2,
                      .warmup_steps = 2,
                      .total_steps = kSteps},
         .step = [&](int64_t step, float lr) { return one_step(step, lr); },
         .save_state =
             [&] {
               return TaskState{{{"rng", rng_text(rng)}}};
             },
         .restore_state = [&](const TaskState& st) { restore_rng(rng, st.data.at("rng")); },
         .validate = std::move(validate),
         .validate_every = validate_every});
  }

  float one_step(int64_t step, float lr) {
    if (during_step) during_step(step);
    ++steps_taken;
    std::normal_distribution<float> n;
    Tensor x = Tensor::empty({2, 1, 8, 8}), t = Tensor::empty({2, 1, 8, 8});
    for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = n(rng);
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = x.data()[i] > 0.f ? 1.f : 0.f;
    return train_step(*model, *opt, lr, x,
                      [&](const Tensor& y) { return bce_with_logits_loss(y, t); });
  }
};

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  const Tensor pa = a.to_plain(), pb = b.to_plain();
  return pa.shape() == pb.shape() && std::memcmp(pa.raw(), pb.raw(), pa.bytes()) == 0;
}

void expect_same_weights(Module& a, Module& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(bitwise_equal(pa[i]->value, pb[i]->value)) << pa[i]->name;
  const auto ba = a.buffers(), bb = b.buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (size_t i = 0; i < ba.size(); ++i)
    EXPECT_TRUE(bitwise_equal(*ba[i].second, *bb[i].second)) << ba[i].first;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(TrainingLoopTest, RunPathsSitBesideTheOutput) {
  const RunPaths p = run_paths("out/model.h5");
  EXPECT_EQ(p.folder, "out/model.run");
  EXPECT_EQ(p.checkpoint, "out/model.run/checkpoint.h5");
  EXPECT_EQ(p.history, "out/model.run/history.csv");
  EXPECT_EQ(p.loss_plot, "out/model.run/loss.png");
  EXPECT_EQ(p.all().size(), 4u);
}

TEST_F(TrainingLoopTest, StoppedAndResumedEqualsTheUninterruptedRun) {
  ToyRun straight;
  straight.train({.output = path("straight.h5"), .progress = false});

  ToyRun first;
  try {
    first.train({.output = path("part.h5"), .stop_after_steps = 4, .progress = false});
    FAIL() << "the step limit did not stop the run";
  } catch (const TrainingInterrupted& e) {
    EXPECT_EQ(e.step(), 4);
    EXPECT_EQ(e.checkpoint(), run_paths(path("part.h5")).checkpoint);
    EXPECT_NE(std::string(e.what()).find("interrupted at step 4 of 10"), std::string::npos);
  }
  EXPECT_EQ(first.steps_taken, 4);
  EXPECT_EQ(load_checkpoint(run_paths(path("part.h5")).checkpoint).step, 4);

  ToyRun second;  // a new process: fresh model, optimizer and RNG
  const auto history = second.train({.output = path("part.h5"), .resume = true, .progress = false});
  EXPECT_EQ(second.steps_taken, kSteps - 4);
  expect_same_weights(*straight.model, *second.model);
  EXPECT_FALSE(bitwise_equal(straight.model->parameters()[0]->value,
                             make_model()->parameters()[0]->value));  // training moved them
  ASSERT_EQ(history.size(), size_t(kSteps));
  for (size_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i].step, int64_t(i) + 1);
}

TEST_F(TrainingLoopTest, KfacResumesWithItsStaleCurvature) {
  // Stopped at step 4, between eigendecompositions (every 3 steps): the resumed run must
  // precondition with the decomposition of step 3, as the uninterrupted one does.
  auto kfac = [] { return make_kfac({.factor_interval = 1, .inverse_interval = 3}); };
  ToyRun straight;
  straight.opt = kfac();
  straight.train({.progress = false});
  ToyRun first;
  first.opt = kfac();
  EXPECT_THROW(first.train({.output = path("k.h5"), .stop_after_steps = 4, .progress = false}),
               TrainingInterrupted);
  ToyRun second;
  second.opt = kfac();
  second.train({.output = path("k.h5"), .resume = true, .progress = false});
  expect_same_weights(*straight.model, *second.model);
}

TEST_F(TrainingLoopTest, ResumingWithoutTheDataOrderWouldDiffer) {
  // The control for the test above: the same stop and resume, with the RNG state not restored,
  // ends elsewhere; so the equality above rests on the saved state.
  ToyRun straight;
  straight.train({.progress = false});
  ToyRun first;
  EXPECT_THROW(first.train({.output = path("p.h5"), .stop_after_steps = 4, .progress = false}),
               TrainingInterrupted);
  ToyRun second;
  TrainingLoop loop({.output = path("p.h5"), .resume = true, .progress = false}, second.model,
                    *second.opt);
  loop.run({.steps = kSteps,
            .schedule = {.kind = LrSchedule::Kind::cosine,
                         .base_lr = 1e-2,
                         .warmup_steps = 2,
                         .total_steps = kSteps},
            .step = [&](int64_t s, float lr) { return second.one_step(s, lr); }});
  EXPECT_FALSE(
      bitwise_equal(straight.model->parameters()[0]->value, second.model->parameters()[0]->value));
}

TEST_F(TrainingLoopTest, SignalStopsAtTheEndOfTheStepWithACheckpoint) {
  ToyRun straight;
  straight.train({.progress = false});
  ToyRun first;
  first.during_step = [](int64_t step) {
    if (step == 2) std::raise(SIGTERM);  // arrives mid-step; the step still completes
  };
  try {
    first.train({.output = path("sig.h5"), .progress = false});
    FAIL() << "SIGTERM did not stop the run";
  } catch (const TrainingInterrupted& e) {
    EXPECT_EQ(e.step(), 3);
  }
  EXPECT_TRUE(fs::exists(run_paths(path("sig.h5")).checkpoint));
  ToyRun second;
  second.train({.output = path("sig.h5"), .resume = true, .progress = false});
  expect_same_weights(*straight.model, *second.model);
  // The handler is gone once the loop is: the default action is back.
  struct sigaction now {};
  sigaction(SIGTERM, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

TEST_F(TrainingLoopTest, CheckpointsOnTimeHoldTheStepDone) {
  ToyRun r;
  const std::string ck = run_paths(path("timed.h5")).checkpoint;
  std::vector<int64_t> seen;
  r.during_step = [&](int64_t step) {
    if (step > 0) seen.push_back(load_checkpoint(ck).step);
  };
  r.train({.output = path("timed.h5"), .checkpoint_minutes = 1e-9, .progress = false});
  ASSERT_EQ(seen.size(), size_t(kSteps - 1));
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], int64_t(i) + 1);
  EXPECT_EQ(load_checkpoint(ck).step, kSteps);  // and the last one at the end
}

TEST_F(TrainingLoopTest, HistoryAndValidationAreWritten) {
  ToyRun r;
  int validations = 0;
  std::vector<std::string> plotted;
  RunSettings s{.output = path("h.h5"), .progress = false};
  s.plot_history = [&](const std::string& png, const std::vector<HistoryRow>& rows) {
    plotted.push_back(png);
    EXPECT_EQ(rows.size(), size_t(kSteps));
  };
  const auto history = r.train(s, 4, [&] { return Validation{double(++validations)}; });
  EXPECT_EQ(validations, 3);  // after steps 4, 8 and the last, 10
  EXPECT_EQ(history[3].validation, 1.0);
  EXPECT_TRUE(std::isnan(history[4].validation));
  EXPECT_EQ(history[9].validation, 3.0);
  const std::string csv = text_of(run_paths(path("h.h5")).history);
  EXPECT_EQ(csv.rfind("step,loss,lr,seconds,validation\n", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), kSteps + 1);
  EXPECT_NE(csv.find("\n4,"), std::string::npos);
  EXPECT_EQ(plotted, std::vector<std::string>{run_paths(path("h.h5")).loss_plot});
}

TEST_F(TrainingLoopTest, ValidationCanStopEarlyAndAResumeKeepsItStopped) {
  ToyRun r;
  const auto history = r.train({.output = path("e.h5"), .progress = false}, 3, [] {
    return Validation{0, true};
  });
  EXPECT_EQ(history.size(), 3u);
  ToyRun again;
  again.train({.output = path("e.h5"), .resume = true, .progress = false});
  EXPECT_EQ(again.steps_taken, 0);
  expect_same_weights(*r.model, *again.model);
}

TEST_F(TrainingLoopTest, InitFromTakesTheWeightsOfTheSameArchitecture) {
  ToyRun trained;
  trained.train({.output = path("base.h5"), .progress = false});
  ToyRun tuned;
  const std::string missing =
      error_of([&] { TrainingLoop l({.init_from = path("nope.h5")}, tuned.model, *tuned.opt); });
  EXPECT_EQ(missing.rfind("init_from: no checkpoint at", 0), 0u) << missing;

  TrainingLoop ok({.init_from = run_paths(path("base.h5")).checkpoint}, tuned.model, *tuned.opt);
  expect_same_weights(*trained.model, *tuned.model);
  EXPECT_EQ(ok.first_step(), 0);

  auto other = make_model({4, 16});
  const std::string wrong = error_of([&] {
    TrainingLoop l({.init_from = run_paths(path("base.h5")).checkpoint}, other, *tuned.opt);
  });
  EXPECT_EQ(wrong.rfind("init_from: ", 0), 0u) << wrong;
  EXPECT_NE(wrong.find("another architecture"), std::string::npos) << wrong;
}

TEST_F(TrainingLoopTest, ErrorsComeBeforeTheFirstStep) {
  ToyRun r;
  auto setting_of = [&](const RunSettings& s) {
    try {
      r.train(s);
    } catch (const SettingError& e) {
      return e.setting();
    }
    return std::string("none");
  };
  EXPECT_EQ(setting_of({.output = path("no/such/folder/m.h5")}), "output");
  EXPECT_EQ(setting_of({.output = path("fresh.h5"), .resume = true}), "resume");
  EXPECT_EQ(setting_of({.output = path("m.h5"), .checkpoint_minutes = -1}), "checkpoint_minutes");
  EXPECT_EQ(r.steps_taken, 0);

  // A resume with another architecture or optimizer is refused, naming the setting.
  EXPECT_THROW(r.train({.output = path("a.h5"), .stop_after_steps = 2, .progress = false}),
               TrainingInterrupted);
  auto other = make_model({4, 16});
  EXPECT_THROW(TrainingLoop({.output = path("a.h5"), .resume = true}, other, *r.opt), SettingError);
  auto sgd = make_sgd({});
  EXPECT_THROW(TrainingLoop({.output = path("a.h5"), .resume = true}, r.model, *sgd), SettingError);
}

// train_step skips the input gradient of the layers that read the data (the stem's, its costliest
// pass) and nothing else: its weights equal those of steps that compute every gradient, bit for
// bit, and afterwards backward returns the network's input gradient again.
TEST(TrainStep, SkipsOnlyTheDataGradient) {
  auto a = make_model(), b = make_model();
  auto opt_a = make_sgd({}), opt_b = make_sgd({});
  const Tensor x = testing::random_tensor({2, 1, 8, 8}, 3);
  const Tensor t = testing::random_tensor({2, 1, 8, 8}, 4, 0.f, 1.f);
  auto loss = [&](const Tensor& y) { return bce_with_logits_loss(y, t); };
  for (int step = 0; step < 2; ++step) {
    train_step(*a, *opt_a, 0.1f, x, loss);
    opt_b->prepare(*b, nullptr);
    EXPECT_TRUE(b->backward_one(loss(b->forward(x, Mode::train)).grad).defined());
    opt_b->step(b->parameters(), 0.1f);
  }
  expect_same_weights(*a, *b);
  EXPECT_TRUE(a->backward_one(loss(a->forward(x, Mode::train)).grad).defined());
  set_input_gradient(*b, false);
  EXPECT_FALSE(b->backward_one(loss(b->forward(x, Mode::train)).grad).defined());
}

}  // namespace
}  // namespace tessera
