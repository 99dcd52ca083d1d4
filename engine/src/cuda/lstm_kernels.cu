// The LSTM weight moves between tessera's ldigo layout and cuDNN's per-gate matrices: one thread
// per element of one gate.
#include "launch.cuh"
#include "lstm_kernels.hpp"

namespace tessera::cuda {
namespace {

__global__ void place_gate_kernel(const float* ldigo, float* matrix, int64_t k_size, int64_t hidden,
                                  int64_t gate, int64_t row_stride, int64_t col_stride) {
  TESSERA_GRID_STRIDE(i, k_size * hidden) {
    const int64_t k = i / hidden, h = i % hidden;
    matrix[h * row_stride + k * col_stride] = ldigo[(k * 4 + gate) * hidden + h];
  }
}

__global__ void take_gate_kernel(const float* matrix, float* ldigo, int64_t k_size, int64_t hidden,
                                 int64_t gate, int64_t row_stride, int64_t col_stride) {
  TESSERA_GRID_STRIDE(i, k_size * hidden) {
    const int64_t k = i / hidden, h = i % hidden;
    ldigo[(k * 4 + gate) * hidden + h] = matrix[h * row_stride + k * col_stride];
  }
}

}  // namespace

void launch_lstm_place_gate(const float* ldigo, float* gate_matrix, int64_t k_size, int64_t hidden,
                            int64_t gate, int64_t row_stride, int64_t col_stride) {
  place_gate_kernel<<<blocks_for(k_size * hidden), kThreads>>>(ldigo, gate_matrix, k_size, hidden,
                                                               gate, row_stride, col_stride);
  check_launch("lstm_place_gate");
}

void launch_lstm_take_gate(const float* gate_matrix, float* ldigo, int64_t k_size, int64_t hidden,
                           int64_t gate, int64_t row_stride, int64_t col_stride) {
  take_gate_kernel<<<blocks_for(k_size * hidden), kThreads>>>(gate_matrix, ldigo, k_size, hidden,
                                                              gate, row_stride, col_stride);
  check_launch("lstm_take_gate");
}

}  // namespace tessera::cuda
