#include "tessera/ops/lstm.hpp"

#include <stdexcept>
#include <string>

#include "dispatch.hpp"

namespace tessera {
namespace {

void check_lstm(const Tensor& x, const LstmWeights& w) {
  if (!x.defined() || x.ndim() != 3)
    throw std::invalid_argument("lstm: input must be [T,N,C], got " +
                                (x.defined() ? to_string(x.shape()) : std::string("nothing")));
  const int64_t c = x.dim(2), h = w.recurrent.defined() ? w.recurrent.dim(2) : 0;
  const Shape in{1, 1, c, 4, h}, rec{1, 1, h, 4, h}, b{1, 1, 4, h};
  if (!w.input.defined() || !w.bias.defined() || w.input.shape() != in ||
      w.recurrent.shape() != rec || w.bias.shape() != b)
    throw std::invalid_argument("lstm: weights do not fit input " + to_string(x.shape()) +
                                ": want " + to_string(in) + ", " + to_string(rec) + ", " +
                                to_string(b));
}

}  // namespace

LstmResult lstm_forward(const Tensor& x, const LstmWeights& w, bool training) {
  check_lstm(x, w);
  return backend_of("lstm", x, w.input, w.recurrent, w.bias).lstm_forward(x, w, training);
}

LstmGrads lstm_backward(const Tensor& x, const LstmResult& forward, const LstmWeights& w,
                        const Tensor& dy) {
  check_lstm(x, w);
  if (!forward.workspace.defined())
    throw std::invalid_argument("lstm backward: needs the result of a training forward");
  if (!dy.defined() || dy.shape() != forward.y.shape())
    throw std::invalid_argument("lstm backward: gradient does not match the output " +
                                to_string(forward.y.shape()));
  return backend_of("lstm backward", x, w.input, w.recurrent, w.bias, forward.y, forward.workspace,
                    dy)
      .lstm_backward(x, forward, w, dy);
}

}  // namespace tessera
