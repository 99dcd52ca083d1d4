#pragma once
// Launchers of the activation kernels (activation_kernels.cu): plain float arrays of n elements
// on the current GPU, with the formulas of oneDNN's eltwise primitives (the CPU backend's).
#include <cstdint>

namespace tessera::cuda {

// Leaky ReLU is relu with a slope alpha below zero, as in oneDNN.
enum class ActivationKind { identity, relu, elu, sigmoid, tanh };

void launch_activation_forward(ActivationKind kind, float alpha, const float* x, float* y,
                               int64_t n);
// dx from dy and, as `from_output` says, the forward output y or the input x in `from`.
void launch_activation_backward(ActivationKind kind, float alpha, bool from_output,
                                const float* from, const float* dy, float* dx, int64_t n);

}  // namespace tessera::cuda
