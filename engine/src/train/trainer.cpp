#include "tessera/train/trainer.hpp"

#include <cmath>
#include <stdexcept>

namespace tessera {

namespace {

// The network's input gradient is off for one step, and back on however the step ends.
struct InputGradientOff {
  Module& model;
  explicit InputGradientOff(Module& m) : model(m) { set_input_gradient(model, false); }
  ~InputGradientOff() { set_input_gradient(model, true); }
  InputGradientOff(const InputGradientOff&) = delete;
  InputGradientOff& operator=(const InputGradientOff&) = delete;
};

}  // namespace

float train_step(Module& model, Optimizer& optimizer, float lr, const Tensor& input,
                 const LossFn& loss, GradientSync* sync) {
  optimizer.prepare(model, sync ? &sync->comm() : nullptr);
  const InputGradientOff data_input(model);
  // The model computes where it lives; the loss is taken where the batch came from, so a task
  // that keeps its batches and targets in host memory trains a model on a GPU unchanged.
  const Tensor prediction = forward_on_model_device(model, input, Mode::train);
  const LossResult l = loss(prediction);
  const float value = sync ? sync->comm().allreduce_mean(l.value) : l.value;
  if (!std::isfinite(value)) {
    model.clear_saved();
    throw std::runtime_error("training diverged: loss is " + std::to_string(value) +
                             " at optimizer step " + std::to_string(optimizer.steps()) +
                             "; lower the learning rate or check the inputs for NaN");
  }
  model.backward(l.grad.to(device_of(model)));
  if (sync) sync->finish();
  optimizer.step(model.parameters(), lr);
  return value;
}

}  // namespace tessera
