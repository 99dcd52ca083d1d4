// One LSTM layer on cuDNN's RNN API (cudnnRNNForward, cudnnRNNBackwardData_v8,
// cudnnRNNBackwardWeights_v8). cuDNN's LSTM has oneDNN's equations and gate order (input,
// forget, cell candidate, output), so only the weights differ: tessera keeps them as oneDNN's
// ldigo, cuDNN in a weight space of its own with each gate's matrix apart. Each call packs them
// into that space (lstm_kernels.cu), and backward unpacks the weight gradients the same way.
// LstmResult::workspace holds cuDNN's reserve space: the forward's gate values backward needs.
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.hpp"
#include "lstm_kernels.hpp"

namespace tessera::cuda {
namespace {

template <class Struct>
using Owned = std::unique_ptr<Struct, cudnnStatus_t (*)(Struct*)>;

template <class Struct>
Owned<Struct> create(cudnnStatus_t (*make)(Struct**), cudnnStatus_t (*destroy)(Struct*)) {
  Struct* raw = nullptr;
  check(make(&raw), "lstm: creating a cuDNN descriptor");
  return Owned<Struct>(raw, destroy);
}

// cuDNN takes sizes as int.
int as_int(int64_t v) {
  if (v > std::numeric_limits<int>::max())
    throw std::invalid_argument("lstm on the GPU: size " + std::to_string(v) +
                                " is beyond cuDNN's int sizes");
  return static_cast<int>(v);
}

// Bytes on the GPU from the device's allocator (at least one, so a size of 0 still has one).
Tensor scratch(std::size_t bytes, int device) {
  return device_bytes(bytes > 0 ? bytes : 1, device);
}

void zero_bytes(const Tensor& t) {
  check(cudaMemset(t.raw(), 0, t.bytes()), "lstm: zeroing " + std::to_string(t.bytes()) + " bytes");
}

// What cuDNN knows of one problem (x [T,N,C], H hidden): its descriptors and buffer sizes.
struct Plan {
  Plan(cudnnHandle_t handle, const Tensor& x, int64_t hidden_size, cudnnForwardMode_t mode,
       int device);
  const int32_t* lengths() const { return static_cast<const int32_t*>(seq_lengths.raw()); }

  int steps, batch, in, hidden;
  // Declared before the RNN descriptor that refers to it, so it is destroyed after it.
  Owned<cudnnDropoutStruct> dropout =
      create(cudnnCreateDropoutDescriptor, cudnnDestroyDropoutDescriptor);
  Owned<cudnnRNNStruct> rnn = create(cudnnCreateRNNDescriptor, cudnnDestroyRNNDescriptor);
  Owned<cudnnRNNDataStruct> x_desc =
      create(cudnnCreateRNNDataDescriptor, cudnnDestroyRNNDataDescriptor);
  Owned<cudnnRNNDataStruct> y_desc =
      create(cudnnCreateRNNDataDescriptor, cudnnDestroyRNNDataDescriptor);
  Owned<cudnnTensorStruct> state =
      create(cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor);
  std::size_t weight_bytes = 0, work_bytes = 0, reserve_bytes = 0;
  Tensor seq_lengths;  // every sequence's length (all T), in GPU memory as cuDNN wants it
};

Plan::Plan(cudnnHandle_t handle, const Tensor& x, int64_t hidden_size, cudnnForwardMode_t mode,
           int device)
    : steps(as_int(x.dim(0))),
      batch(as_int(x.dim(1))),
      in(as_int(x.dim(2))),
      hidden(as_int(hidden_size)) {
  // One layer has no dropout, but cuDNN wants a descriptor; with none, it needs no RNG state.
  check(cudnnSetDropoutDescriptor(dropout.get(), handle, 0.f, nullptr, 0, 0),
        "lstm: dropout descriptor");
  // FMA math keeps float32 off TF32 tensor cores, so results match the CPU's to float rounding.
  // Double bias is cuDNN's usual LSTM (the one PyTorch and TensorFlow run); tessera's one bias
  // goes in the input biases and the recurrent ones stay zero (pack_weights). Padded I/O is what
  // lets cuDNN take the unpacked layout, which [T,N,C] is.
  check(cudnnSetRNNDescriptor_v8(rnn.get(), CUDNN_RNN_ALGO_STANDARD, CUDNN_LSTM,
                                 CUDNN_RNN_DOUBLE_BIAS, CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT,
                                 CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH, in, hidden,
                                 hidden, 1, dropout.get(), CUDNN_RNN_PADDED_IO_ENABLED),
        "lstm: RNN descriptor");
  const std::vector<int> all_steps(static_cast<std::size_t>(batch), steps);
  check(cudnnSetRNNDataDescriptor(x_desc.get(), CUDNN_DATA_FLOAT,
                                  CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, steps, batch, in,
                                  all_steps.data(), nullptr),
        "lstm: input descriptor");
  check(cudnnSetRNNDataDescriptor(y_desc.get(), CUDNN_DATA_FLOAT,
                                  CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, steps, batch, hidden,
                                  all_steps.data(), nullptr),
        "lstm: output descriptor");
  const int dims[3] = {1, batch, hidden};
  const int strides[3] = {as_int(int64_t{batch} * hidden), hidden, 1};
  check(cudnnSetTensorNdDescriptor(state.get(), CUDNN_DATA_FLOAT, 3, dims, strides),
        "lstm: state descriptor");
  check(cudnnGetRNNWeightSpaceSize(handle, rnn.get(), &weight_bytes), "lstm: weight space size");
  check(
      cudnnGetRNNTempSpaceSizes(handle, rnn.get(), mode, x_desc.get(), &work_bytes, &reserve_bytes),
      "lstm: workspace sizes");
  seq_lengths = Tensor(Layout::plain({batch}, DataType::s32), Device::cuda(device));
  check(cudaMemcpy(seq_lengths.raw(), all_steps.data(), all_steps.size() * sizeof(int),
                   cudaMemcpyHostToDevice),
        "lstm: copying the sequence lengths to cuda:" + std::to_string(device));
}

struct Shape3 {
  int dims[3], strides[3];
};

Shape3 shape_of(cudnnTensorDescriptor_t desc) {
  Shape3 s{};
  cudnnDataType_t type{};
  int rank = 0;
  check(cudnnGetTensorNdDescriptor(desc, 3, &type, &rank, s.dims, s.strides),
        "lstm: reading a weight's shape");
  if (rank != 3)
    throw std::runtime_error("lstm: cuDNN reports a weight of rank " + std::to_string(rank) +
                             ", not 3");
  return s;
}

// Where cuDNN keeps one gate's matrix ([rows = H, cols = K]) and bias (H) inside `space`.
struct GateSlot {
  float* matrix;
  int64_t row_stride, col_stride;
  float* bias;
  int64_t bias_stride;
};

// lin_layer: cuDNN's matrix id, 0-3 the input matrices of the gates in oneDNN's order, 4-7 the
// recurrent ones; k_size: the columns expected (C or H), checked so a layout cuDNN changed
// fails loudly instead of scrambling weights.
GateSlot gate_slot(cudnnHandle_t handle, const Plan& p, void* space, int lin_layer,
                   int64_t k_size) {
  const auto m = create(cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor);
  const auto b = create(cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor);
  void* m_addr = nullptr;
  void* b_addr = nullptr;
  check(cudnnGetRNNWeightParams(handle, p.rnn.get(), 0, p.weight_bytes, space, lin_layer, m.get(),
                                &m_addr, b.get(), &b_addr),
        "lstm: locating weight " + std::to_string(lin_layer));
  const Shape3 ms = shape_of(m.get()), bs = shape_of(b.get());
  if (ms.dims[1] != p.hidden || ms.dims[2] != k_size || bs.dims[1] != p.hidden || !m_addr ||
      !b_addr)
    throw std::runtime_error("lstm: cuDNN's weight " + std::to_string(lin_layer) + " is [" +
                             std::to_string(ms.dims[1]) + "," + std::to_string(ms.dims[2]) +
                             "], not the expected [" + std::to_string(p.hidden) + "," +
                             std::to_string(k_size) + "] with a bias");
  return {static_cast<float*>(m_addr), ms.strides[1], ms.strides[2], static_cast<float*>(b_addr),
          bs.strides[1]};
}

// cuDNN's weight space holding tessera's weights.
Tensor pack_weights(cudnnHandle_t handle, const Plan& p, const LstmWeights& w, int device) {
  const Tensor space = scratch(p.weight_bytes, device);
  zero_bytes(space);  // the recurrent biases, which tessera does not have
  for (int gate = 0; gate < 4; ++gate) {
    const GateSlot in = gate_slot(handle, p, space.raw(), gate, p.in);
    const GateSlot rec = gate_slot(handle, p, space.raw(), gate + 4, p.hidden);
    launch_lstm_place_gate(floats(w.input), in.matrix, p.in, p.hidden, gate, in.row_stride,
                           in.col_stride);
    launch_lstm_place_gate(floats(w.recurrent), rec.matrix, p.hidden, p.hidden, gate,
                           rec.row_stride, rec.col_stride);
    launch_lstm_place_gate(floats(w.bias), in.bias, 1, p.hidden, gate, in.bias_stride, 0);
  }
  return space;
}

// The weight gradients out of cuDNN's gradient space. The input and recurrent bias gradients
// are equal (both biases enter every gate the same way); the input ones are tessera's.
void unpack_gradients(cudnnHandle_t handle, const Plan& p, const Tensor& space, LstmGrads& g) {
  for (int gate = 0; gate < 4; ++gate) {
    const GateSlot in = gate_slot(handle, p, space.raw(), gate, p.in);
    const GateSlot rec = gate_slot(handle, p, space.raw(), gate + 4, p.hidden);
    launch_lstm_take_gate(in.matrix, floats(g.d_input), p.in, p.hidden, gate, in.row_stride,
                          in.col_stride);
    launch_lstm_take_gate(rec.matrix, floats(g.d_recurrent), p.hidden, p.hidden, gate,
                          rec.row_stride, rec.col_stride);
    launch_lstm_take_gate(in.bias, floats(g.d_bias), 1, p.hidden, gate, in.bias_stride, 0);
  }
}

}  // namespace

LstmResult CudaBackend::lstm_forward(const Tensor& x, const LstmWeights& w, bool training) {
  use_device(device_);
  const cudnnForwardMode_t mode = training ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE;
  const Plan p(cudnn(), x, w.recurrent.dim(2), mode, device_);
  const Tensor weights = pack_weights(cudnn(), p, w, device_);
  const Tensor work = scratch(p.work_bytes, device_);
  LstmResult r;
  r.y = Tensor(Layout::plain({x.dim(0), x.dim(1), w.recurrent.dim(2)}), Device::cuda(device_));
  if (training) r.workspace = scratch(p.reserve_bytes, device_);
  check(cudnnRNNForward(cudnn(), p.rnn.get(), mode, p.lengths(), p.x_desc.get(), x.raw(),
                        p.y_desc.get(), r.y.raw(), p.state.get(), nullptr, nullptr, p.state.get(),
                        nullptr, nullptr, p.weight_bytes, weights.raw(), p.work_bytes, work.raw(),
                        training ? p.reserve_bytes : 0, training ? r.workspace.raw() : nullptr),
        "lstm forward on cuda:" + std::to_string(device_));
  return r;
}

LstmGrads CudaBackend::lstm_backward(const Tensor& x, const LstmResult& forward,
                                     const LstmWeights& w, const Tensor& dy) {
  use_device(device_);
  const Plan p(cudnn(), x, w.recurrent.dim(2), CUDNN_FWD_MODE_TRAINING, device_);
  if (forward.workspace.bytes() != p.reserve_bytes)
    throw std::invalid_argument("lstm backward on cuda:" + std::to_string(device_) +
                                ": the workspace is not a GPU training forward's of input " +
                                to_string(x.shape()));
  const Tensor weights = pack_weights(cudnn(), p, w, device_);
  const Tensor work = scratch(p.work_bytes, device_);
  // cuDNN's backward writes into the reserve space; a copy leaves the forward's result as it was,
  // so backward may run on it again.
  const Tensor reserve = scratch(p.reserve_bytes, device_);
  check(
      cudaMemcpy(reserve.raw(), forward.workspace.raw(), p.reserve_bytes, cudaMemcpyDeviceToDevice),
      "lstm backward: copying the reserve space");
  LstmGrads g;
  g.dx = Tensor(Layout::plain(x.shape()), Device::cuda(device_));
  check(cudnnRNNBackwardData_v8(cudnn(), p.rnn.get(), p.lengths(), p.y_desc.get(), forward.y.raw(),
                                dy.raw(), p.x_desc.get(), g.dx.raw(), p.state.get(), nullptr,
                                nullptr, nullptr, p.state.get(), nullptr, nullptr, nullptr,
                                p.weight_bytes, weights.raw(), p.work_bytes, work.raw(),
                                p.reserve_bytes, reserve.raw()),
        "lstm backward (data) on cuda:" + std::to_string(device_));
  // cuDNN only adds into the weight gradients, so they start at zero.
  const Tensor d_weights = scratch(p.weight_bytes, device_);
  zero_bytes(d_weights);
  check(cudnnRNNBackwardWeights_v8(cudnn(), p.rnn.get(), CUDNN_WGRAD_MODE_ADD, p.lengths(),
                                   p.x_desc.get(), x.raw(), p.state.get(), nullptr, p.y_desc.get(),
                                   forward.y.raw(), p.weight_bytes, d_weights.raw(), p.work_bytes,
                                   work.raw(), p.reserve_bytes, reserve.raw()),
        "lstm backward (weights) on cuda:" + std::to_string(device_));
  g.d_input = Tensor(Layout::plain(w.input.shape()), Device::cuda(device_));
  g.d_recurrent = Tensor(Layout::plain(w.recurrent.shape()), Device::cuda(device_));
  g.d_bias = Tensor(Layout::plain(w.bias.shape()), Device::cuda(device_));
  unpack_gradients(cudnn(), p, d_weights, g);
  return g;
}

}  // namespace tessera::cuda
