#pragma once
// One unidirectional LSTM layer over whole sequences, on oneDNN's RNN primitives. Gates in
// oneDNN's order: input, forget, cell candidate, output; hidden and cell states start at zero.
//
//   LstmWeights w{...};                         // [1,1,C,4,H], [1,1,H,4,H], [1,1,4,H]
//   LstmResult r = lstm_forward(x, w, true);    // x [T,N,C] -> r.y [T,N,H]
//   LstmGrads g = lstm_backward(x, r, w, dy);   // dy [T,N,H]
#include "tessera/tensor/tensor.hpp"

namespace tessera {

struct LstmWeights {
  Tensor input;      // [1,1,C,4,H]: oneDNN's ldigo, plain
  Tensor recurrent;  // [1,1,H,4,H]
  Tensor bias;       // [1,1,4,H]: ldgo, plain
};

struct LstmResult {
  Tensor y;          // [T,N,H], plain: the hidden state after every step
  Tensor workspace;  // training only: gate values backward needs
};

struct LstmGrads {
  Tensor dx;                            // [T,N,C]
  Tensor d_input, d_recurrent, d_bias;  // the weights' shapes, plain
};

// x [T,N,C], plain (time-major).
LstmResult lstm_forward(const Tensor& x, const LstmWeights& w, bool training);
// Needs the result of a training forward on the same x and weights.
LstmGrads lstm_backward(const Tensor& x, const LstmResult& forward, const LstmWeights& w,
                        const Tensor& dy);

}  // namespace tessera
