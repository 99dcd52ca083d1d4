#pragma once
// Launchers of the LSTM weight moves (lstm_kernels.cu). tessera keeps an LSTM's weights as
// oneDNN's ldigo, [K,4,H] with the four gates interleaved; cuDNN keeps each gate's matrix apart
// as H rows of K, at strides it reports. These move one gate between the two; a bias is the
// case K = 1.
#include <cstdint>

namespace tessera::cuda {

// gate_matrix[h * row_stride + k * col_stride] = ldigo[(k * 4 + gate) * hidden + h]
void launch_lstm_place_gate(const float* ldigo, float* gate_matrix, int64_t k_size, int64_t hidden,
                            int64_t gate, int64_t row_stride, int64_t col_stride);
// ldigo[(k * 4 + gate) * hidden + h] = gate_matrix[h * row_stride + k * col_stride]
void launch_lstm_take_gate(const float* gate_matrix, float* ldigo, int64_t k_size, int64_t hidden,
                           int64_t gate, int64_t row_stride, int64_t col_stride);

}  // namespace tessera::cuda
