#include "tessera/train/trainer.hpp"

#include <cmath>
#include <stdexcept>

namespace tessera {

float train_step(Module& model, Optimizer& optimizer, float lr, const Tensor& input,
                 const LossFn& loss) {
  const Tensor prediction = model.forward(input, Mode::train);
  const LossResult l = loss(prediction);
  if (!std::isfinite(l.value)) {
    model.clear_saved();
    throw std::runtime_error("training diverged: loss is " + std::to_string(l.value) +
                             " at optimizer step " + std::to_string(optimizer.steps()) +
                             "; lower the learning rate or check the inputs for NaN");
  }
  model.backward(l.grad);
  optimizer.step(model.parameters(), lr);
  return l.value;
}

}  // namespace tessera
