#include "tessera/train/training_loop.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "run_record.hpp"
#include "stop_signals.hpp"
#include "tessera/info.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/json_text.hpp"
#include "tessera/io/settings.hpp"

namespace tessera {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A run of several processes takes a GPU each, the one the NCCL communicator takes: rank r
// computes on GPU r mod count.
Device device_of_rank(Device d, const Communicator* comm) {
  if (d.is_host() || !comm || comm->size() == 1) return d;
  return Device::cuda(comm->rank() % std::max(1, cuda_devices()));
}

constexpr const char* kRunKey = "training_run";  // the checkpoint metadata a run keeps

// Throws SettingError(`setting`) unless `stored` has the parameters and buffers of `built`,
// name for name and shape for shape.
void require_same_architecture(Module& built, Module& stored, const std::string& setting,
                               const std::string& file) {
  auto shapes = [](Module& m) {
    std::map<std::string, Shape> s;
    for (Param* p : m.parameters()) s[p->name] = p->value.shape();
    for (auto& [name, t] : m.buffers()) s["buffer " + name] = t->shape();
    return s;
  };
  const auto want = shapes(built), have = shapes(stored);
  for (const auto& [name, shape] : want) {
    const auto it = have.find(name);
    if (it == have.end())
      throw SettingError(setting, "'" + file + "' holds a network of another architecture (no " +
                                      name +
                                      "); use the channels and settings it was trained with");
    if (it->second != shape)
      throw SettingError(setting, "'" + file + "' holds a network of another architecture (" +
                                      name + " is " + to_string(it->second) + ", these settings " +
                                      "make " + to_string(shape) +
                                      "); use the channels and settings it was trained with");
  }
  if (have.size() != want.size())
    throw SettingError(setting, "'" + file + "' holds a network of another architecture (" +
                                    std::to_string(have.size()) + " tensors, these settings make " +
                                    std::to_string(want.size()) + ")");
}

void copy_weights(Module& from, Module& to) {
  std::vector<Param*> src = from.parameters(), dst = to.parameters();
  for (size_t i = 0; i < dst.size(); ++i) dst[i]->value.copy_from(src[i]->value);
  auto src_buffers = from.buffers(), dst_buffers = to.buffers();
  for (size_t i = 0; i < dst_buffers.size(); ++i)
    dst_buffers[i].second->copy_from(*src_buffers[i].second);
}

Checkpoint load_for(const std::string& path, const std::string& setting) {
  if (!fs::exists(path)) throw SettingError(setting, "no checkpoint at '" + path + "'");
  return load_checkpoint(path);
}

bool is_root(const Communicator* comm) {
  return !comm || comm->rank() == 0;
}

}  // namespace

RunPaths run_paths(const std::string& output) {
  fs::path p = fs::path(output);
  const fs::path folder = p.replace_extension(".run");
  return {folder.string(), (folder / "checkpoint.h5").string(), (folder / "history.csv").string(),
          (folder / "loss.png").string()};
}

std::function<void(const HistoryRow&)> report_every(std::function<void(int, float)> progress,
                                                    int64_t steps, int64_t every) {
  if (!progress) return {};
  return [progress = std::move(progress), steps, every](const HistoryRow& row) {
    if ((row.step - 1) % every == 0 || row.step == steps)
      progress(int(row.step - 1), float(row.loss));
  };
}

void add_run_paths(CommandPaths& paths, const RunSettings& run, const std::string& output) {
  paths.inputs.push_back({"init_from", run.init_from});
  paths.output_folders.push_back({"output", run_paths(output).folder});
}

TrainingInterrupted::TrainingInterrupted(int64_t step, int64_t steps, const std::string& checkpoint,
                                         bool echo)
    : std::runtime_error("interrupted at step " + std::to_string(step) + " of " +
                         std::to_string(steps) + "; checkpoint -> " + checkpoint +
                         "; continue with the resume setting"),
      step_(step),
      steps_(steps),
      checkpoint_(checkpoint),
      echo_(echo) {}

TrainingLoop::TrainingLoop(RunSettings settings, std::unique_ptr<Module>& model,
                           Optimizer& optimizer, Communicator* comm)
    : s_(std::move(settings)), optimizer_(optimizer), model_(&model), comm_(comm) {
  const Device built_on = device_of(*model);
  if (!(s_.checkpoint_minutes >= 0))
    throw SettingError("checkpoint_minutes", "must be 0 (no timed checkpoints) or more");
  if (s_.stop_after_steps < 0) throw SettingError("stop_after_steps", "must be 0 or more");
  if (s_.output.empty()) {
    if (s_.resume) throw SettingError("resume", "needs the output whose run folder to resume");
  } else {
    paths_ = run_paths(s_.output);
    const fs::path parent = fs::path(s_.output).parent_path();
    const fs::path dir = parent.empty() ? fs::path(".") : parent;
    if (!fs::is_directory(dir))
      throw SettingError("output", "folder '" + dir.string() + "' does not exist; create it first");
    if (::access(dir.c_str(), W_OK) != 0)
      throw SettingError("output", "folder '" + dir.string() + "' is not writable");
    if (is_root(comm_)) fs::create_directories(paths_.folder);
  }
  if (s_.resume) {
    resume_from_checkpoint(model);
  } else if (!s_.init_from.empty()) {
    Checkpoint ck = load_for(s_.init_from, "init_from");
    require_same_architecture(*model, *ck.model, "init_from", s_.init_from);
    copy_weights(*ck.model, *model);
  }
  s_.device = s_.device.is_host() ? built_on : device_of_rank(s_.device, comm_);
  move_to(*model, s_.device);
}

void TrainingLoop::resume_from_checkpoint(std::unique_ptr<Module>& model) {
  const std::string& file = paths_.checkpoint;
  if (!fs::exists(file))
    throw SettingError("resume", "no checkpoint at '" + file + "' (the run for '" + s_.output +
                                     "' was never started or left none)");
  Checkpoint ck = load_checkpoint(file);
  if (!ck.metadata.contains(kRunKey))
    throw SettingError("resume", "'" + file + "' is not a training run's checkpoint");
  require_same_architecture(*model, *ck.model, "resume", file);
  const std::string type = optimizer_.config().value("type", "");
  if (!ck.optimizer || ck.optimizer->config().value("type", "") != type)
    throw SettingError("resume", "'" + file + "' was trained with another optimizer than " + type);
  try {
    const json& run = ck.metadata.at(kRunKey);
    const json& states = run.at("states");
    const int ranks = comm_ ? comm_->size() : 1, rank = comm_ ? comm_->rank() : 0;
    if (int(states.size()) != ranks)
      throw SettingError("resume", "'" + file + "' was written by a run of " +
                                       std::to_string(states.size()) + " processes; resume it " +
                                       "with as many (this one has " + std::to_string(ranks) + ")");
    resumed_state_ = parse_json(states.at(size_t(rank)).get<std::string>(), file + " state");
    history_ = history_from_json(run.at("history"));
    seconds_before_ = run.at("seconds").get<double>();
    finished_ = run.at("finished").get<bool>();
  } catch (const json::exception& e) {
    throw std::runtime_error("checkpoint '" + file + "' has damaged run state: " + e.what());
  }
  model = std::move(ck.model);
  optimizer_.state() = std::move(ck.optimizer->state());
  optimizer_.set_steps(ck.optimizer->steps());
  resumed_tensors_ = std::move(ck.tensors);
  first_step_ = ck.step;
}

void TrainingLoop::save(const TrainingTask& task, int64_t step, bool finished) {
  if (s_.output.empty()) return;
  const TaskState state = task.save_state ? task.save_state() : TaskState{};
  const std::vector<std::string> states = gather_texts(comm_, state.data.dump());
  if (!is_root(comm_)) return;
  const double seconds = history_.empty() ? seconds_before_ : history_.back().seconds;
  const json run = {{"steps", task.steps},
                    {"finished", finished},
                    {"seconds", seconds},
                    {"states", states},
                    {"history", history_json(history_)}};
  save_checkpoint(paths_.checkpoint, **model_, &optimizer_, step, {{kRunKey, run}}, state.tensors);
  write_atomically(paths_.history, history_csv(history_));
  if (s_.plot_history && !history_.empty()) s_.plot_history(paths_.loss_plot, history_);
}

void TrainingLoop::log_row(const TrainingTask& task, const HistoryRow& row,
                           ProgressLine& progress) const {
  if (!s_.log || !is_root(comm_)) return;
  const bool validated = !std::isnan(row.validation);
  if (!validated && row.step % std::max<int64_t>(s_.log_every, 1) != 0 && row.step != task.steps &&
      row.step != first_step_ + 1)
    return;
  progress.clear();  // the progress line is redrawn below the log line
  std::ostringstream line;
  line << "  step " << row.step << "  loss " << row.loss;
  if (validated) line << "  " << task.validation_name << " " << row.validation;
  *s_.log << line.str() << std::endl;
}

std::vector<HistoryRow> TrainingLoop::run(const TrainingTask& task) {
  if (!task.step) throw std::logic_error("TrainingLoop::run: the task has no step function");
  if (s_.resume && task.restore_state)
    task.restore_state(TaskState{resumed_state_, resumed_tensors_});
  if (finished_ || first_step_ >= task.steps) {
    save(task, first_step_, true);
    return history_;
  }
  const StopSignals signals;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double last_checkpoint = 0;
  ProgressLine progress(s_.progress && is_root(comm_), first_step_, task.steps);
  const int64_t every = task.validate_every > 0 ? task.validate_every : task.steps;
  int64_t step = first_step_;
  bool stopped_early = false;
  while (step < task.steps && !stopped_early) {
    const double lr = task.schedule.lr_at(step);
    HistoryRow row{step + 1, task.step(step, float(lr)), lr, 0};
    ++step;
    if (task.validate && (step % every == 0 || step == task.steps)) {
      const Validation v = task.validate();
      row.validation = v.score;
      stopped_early = v.stop;
    }
    row.seconds = seconds_before_ + elapsed();
    history_.push_back(row);
    log_row(task, row, progress);
    progress.update(step, float(row.loss));
    if (task.on_step && is_root(comm_)) task.on_step(row);
    // Every rank must agree on stopping and on checkpointing (a collective each).
    float flags[2] = {
        signals.requested() || (s_.stop_after_steps > 0 && step >= s_.stop_after_steps) ? 1.f : 0.f,
        s_.checkpoint_minutes > 0 && elapsed() - last_checkpoint >= 60 * s_.checkpoint_minutes
            ? 1.f
            : 0.f};
    if (comm_ && comm_->size() > 1) comm_->allreduce_sum(flags, 2);
    if (flags[0] > 0 && step < task.steps && !stopped_early) {
      progress.finish();
      save(task, step, false);
      if (comm_) comm_->barrier();  // no rank ends before the checkpoint is whole
      if (s_.output.empty()) throw std::runtime_error("training interrupted");
      throw TrainingInterrupted(step, task.steps, paths_.checkpoint, !is_root(comm_));
    }
    if (flags[1] > 0 && step < task.steps) {
      save(task, step, false);
      last_checkpoint = elapsed();
    }
  }
  progress.finish();
  save(task, step, stopped_early);
  return history_;
}

std::string rng_text(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

void restore_rng(std::mt19937_64& rng, const json& text) {
  std::istringstream in(text.get<std::string>());
  in >> rng;
  if (!in) throw std::runtime_error("a random engine's saved state is damaged");
}

}  // namespace tessera
