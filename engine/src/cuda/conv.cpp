// Convolutions and transposed convolutions on cuDNN's legacy convolution API.
//
// A transposed convolution is the convolution it transposes, run the other way: that
// convolution maps the transposed one's output [N,Co,*S'] to its input [N,Ci,*S] with the filter
// [Ci, Co/g, *K] (our weights [Co, Ci/g, *K] with the first two axes swapped in each group, no
// flip: oneDNN's deconvolution is exactly the adjoint of cross-correlation). So its forward pass
// is that convolution's backward-data, its input gradient that convolution's forward pass, and
// its weight gradient that convolution's weight gradient with the roles of input and output
// gradient swapped. Its far-edge padding (padding - output_padding) need not be given to cuDNN:
// the convolution's windows start from the near-edge padding, and the far edge only decides how
// many fit, which the output shape already fixes.
//
// ConvParams::compute == bf16 computes in float32 here for now (every result stays float32, as
// the contract asks); bf16 tensor-core kernels are a later speed-up.
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../ops/conv_geometry.hpp"
#include "backend.hpp"
#include "conv_kernels.hpp"

namespace tessera::cuda {
namespace {

// The default math type lets cuDNN round float32 operands to TF32 on tensor cores (10 mantissa
// bits), far outside the CPU's results; FMA math keeps products and sums in float32.
constexpr cudnnMathType_t kMath = CUDNN_FMA_MATH;

// The largest workspace an algorithm may ask for; faster algorithms that want more are skipped.
constexpr std::size_t kWorkspaceLimit = std::size_t{1} << 30;

const float kOne = 1.f, kZero = 0.f;

// One cuDNN convolution: `in` [N,C,*S] to `out` [N,K,*S'] through `filter` [K, C/groups, *R].
// cuDNN convolves in 2D and 3D only, so a 1D problem gets a unit spatial dim in front.
struct Problem {
  std::vector<int> in, filter, out, pad, stride, dilation;
  int groups = 1;
  auto operator<=>(const Problem&) const = default;
};

int to_int(int64_t v) {
  if (v < 0 || v > INT_MAX)
    throw std::invalid_argument("conv on the GPU: size " + std::to_string(v) +
                                " is beyond cuDNN's 32-bit sizes");
  return static_cast<int>(v);
}

// A tensor's dims for cuDNN, the 1D case given its unit spatial dim.
std::vector<int> cudnn_dims(const Shape& s) {
  if (product(s) > INT_MAX)
    throw std::invalid_argument("conv on the GPU: tensor " + to_string(s) +
                                " has more elements than cuDNN's 32-bit strides reach");
  std::vector<int> d;
  for (int64_t v : s) d.push_back(to_int(v));
  if (d.size() == 3) d.insert(d.begin() + 2, 1);
  return d;
}

// A per-spatial-dim setting for cuDNN; `unit` fills the 1D case's added dim.
std::vector<int> cudnn_spatial(const Shape& s, int unit) {
  std::vector<int> d;
  for (int64_t v : s) d.push_back(to_int(v));
  if (d.size() == 1) d.insert(d.begin(), unit);
  return d;
}

Problem make_problem(const Shape& in, const Shape& filter, const Shape& out, const ConvGeometry& g,
                     int64_t groups) {
  return {cudnn_dims(in),
          cudnn_dims(filter),
          cudnn_dims(out),
          cudnn_spatial(g.pad_begin, 0),
          cudnn_spatial(g.stride, 1),
          cudnn_spatial(g.dilation, 1),
          to_int(groups)};
}

// A convolution's problem, and its output shape.
struct Planned {
  Problem problem;
  Shape y;
};

Planned plan_conv(const Shape& x, const Shape& w, const ConvParams& p) {
  const ConvGeometry g = conv_geometry(p, x.size() - 2, false);
  const Shape y = conv_output_dims(x, w, g, false);
  return {make_problem(x, w, y, g, p.groups), y};
}

// The filter [Ci, Co/g, *K] of the convolution that weights [Co, Ci/g, *K] transpose.
Shape transposed_filter(const Shape& w, int64_t x_channels, int64_t groups) {
  Shape f = w;
  f[0] = x_channels, f[1] = w[0] / groups;
  return f;
}

// A transposed convolution's problem: the convolution from its output back to its input. cuDNN
// pads both edges alike, so that convolution must fit exactly as many windows into the output
// as the input has positions: output_padding below the stride, as in PyTorch.
Planned plan_transposed(const Shape& x, const Shape& w, const ConvParams& p) {
  const ConvGeometry g = conv_geometry(p, x.size() - 2, true);
  const Shape y = conv_output_dims(x, w, g, true);
  for (size_t i = 0; i < g.stride.size(); ++i) {
    const int64_t output_padding = g.pad_begin[i] - g.pad_end[i];
    if (output_padding < 0 || output_padding >= g.stride[i])
      throw std::invalid_argument("conv_transpose on the GPU: output_padding " +
                                  std::to_string(output_padding) + " must be in [0, stride " +
                                  std::to_string(g.stride[i]) + ")");
  }
  return {make_problem(y, transposed_filter(w, x[1], p.groups), x, g, p.groups), y};
}

// ---- descriptors, owned ----

template <typename T>
using Owned = std::unique_ptr<std::remove_pointer_t<T>, cudnnStatus_t (*)(T)>;
using TensorDesc = Owned<cudnnTensorDescriptor_t>;
using FilterDesc = Owned<cudnnFilterDescriptor_t>;
using ConvDesc = Owned<cudnnConvolutionDescriptor_t>;

TensorDesc tensor_desc(const std::vector<int>& dims) {
  cudnnTensorDescriptor_t d = nullptr;
  check(cudnnCreateTensorDescriptor(&d), "creating a cuDNN tensor descriptor");
  TensorDesc owned(d, &cudnnDestroyTensorDescriptor);
  check(cudnnSetTensorNdDescriptorEx(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                     static_cast<int>(dims.size()), dims.data()),
        "describing a tensor to cuDNN");
  return owned;
}

FilterDesc filter_desc(const std::vector<int>& dims) {
  cudnnFilterDescriptor_t d = nullptr;
  check(cudnnCreateFilterDescriptor(&d), "creating a cuDNN filter descriptor");
  FilterDesc owned(d, &cudnnDestroyFilterDescriptor);
  check(cudnnSetFilterNdDescriptor(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                   static_cast<int>(dims.size()), dims.data()),
        "describing convolution weights to cuDNN");
  return owned;
}

ConvDesc conv_desc(const Problem& pr) {
  cudnnConvolutionDescriptor_t d = nullptr;
  check(cudnnCreateConvolutionDescriptor(&d), "creating a cuDNN convolution descriptor");
  ConvDesc owned(d, &cudnnDestroyConvolutionDescriptor);
  check(cudnnSetConvolutionNdDescriptor(d, static_cast<int>(pr.pad.size()), pr.pad.data(),
                                        pr.stride.data(), pr.dilation.data(),
                                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
        "describing a convolution to cuDNN");
  check(cudnnSetConvolutionMathType(d, kMath), "setting a convolution's math type");
  check(cudnnSetConvolutionGroupCount(d, pr.groups), "setting a convolution's groups");
  return owned;
}

struct Descriptors {
  TensorDesc in, out;
  FilterDesc filter;
  ConvDesc conv;
};

Descriptors describe(const Problem& pr) {
  return {tensor_desc(pr.in), tensor_desc(pr.out), filter_desc(pr.filter), conv_desc(pr)};
}

// ---- algorithms, chosen once per problem and device ----

enum class Pass { forward, backward_data, backward_filter };

struct Choice {
  int algo = 0;
  std::size_t workspace = 0;
};

struct ChoiceKey {
  Pass pass;
  int device;
  Problem problem;
  auto operator<=>(const ChoiceKey&) const = default;
};

bool uses_tensor_cores(cudnnMathType_t m) {
  return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// The first of cuDNN's ranked algorithms that runs this problem in float32 within the
// workspace limit (asking the workspace size again also checks the algorithm takes it).
template <typename Perf, typename WorkspaceOf>
Choice first_usable(const Perf* ranked, int count, WorkspaceOf workspace_of, const char* pass) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = ranked[i];
    if (r.status != CUDNN_STATUS_SUCCESS || uses_tensor_cores(r.mathType)) continue;
    std::size_t bytes = 0;
    if (workspace_of(r.algo, &bytes) != CUDNN_STATUS_SUCCESS || bytes > kWorkspaceLimit) continue;
    return {static_cast<int>(r.algo), bytes};
  }
  throw std::runtime_error(std::string("conv on the GPU: cuDNN offers no float32 algorithm for ") +
                           pass + " within " + std::to_string(kWorkspaceLimit >> 20) +
                           " MiB of workspace");
}

Choice choose_forward(cudnnHandle_t h, const Descriptors& d) {
  cudnnConvolutionFwdAlgoPerf_t ranked[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int count = 0;
  check(cudnnGetConvolutionForwardAlgorithm_v7(h, d.in.get(), d.filter.get(), d.conv.get(),
                                               d.out.get(), CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                               &count, ranked),
        "ranking convolution forward algorithms");
  const auto workspace_of = [&](cudnnConvolutionFwdAlgo_t algo, std::size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.in.get(), d.filter.get(), d.conv.get(),
                                                   d.out.get(), algo, bytes);
  };
  return first_usable(ranked, count, workspace_of, "the forward pass");
}

Choice choose_backward_data(cudnnHandle_t h, const Descriptors& d) {
  cudnnConvolutionBwdDataAlgoPerf_t ranked[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int count = 0;
  check(cudnnGetConvolutionBackwardDataAlgorithm_v7(
            h, d.filter.get(), d.out.get(), d.conv.get(), d.in.get(),
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, ranked),
        "ranking convolution backward-data algorithms");
  const auto workspace_of = [&](cudnnConvolutionBwdDataAlgo_t algo, std::size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.filter.get(), d.out.get(),
                                                        d.conv.get(), d.in.get(), algo, bytes);
  };
  return first_usable(ranked, count, workspace_of, "the input gradient");
}

Choice choose_backward_filter(cudnnHandle_t h, const Descriptors& d) {
  cudnnConvolutionBwdFilterAlgoPerf_t ranked[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int count = 0;
  check(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            h, d.in.get(), d.out.get(), d.conv.get(), d.filter.get(),
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, ranked),
        "ranking convolution backward-filter algorithms");
  const auto workspace_of = [&](cudnnConvolutionBwdFilterAlgo_t algo, std::size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.in.get(), d.out.get(), d.conv.get(),
                                                          d.filter.get(), algo, bytes);
  };
  return first_usable(ranked, count, workspace_of, "the weight gradient");
}

Choice choice_for(cudnnHandle_t h, int device, Pass pass, const Problem& pr, const Descriptors& d) {
  static std::mutex mutex;
  static std::map<ChoiceKey, Choice> choices;
  const std::lock_guard lock(mutex);
  const ChoiceKey key{pass, device, pr};
  if (const auto it = choices.find(key); it != choices.end()) return it->second;
  Choice c;
  switch (pass) {
    case Pass::forward:
      c = choose_forward(h, d);
      break;
    case Pass::backward_data:
      c = choose_backward_data(h, d);
      break;
    case Pass::backward_filter:
      c = choose_backward_filter(h, d);
      break;
  }
  return choices.emplace(key, c).first->second;
}

// ---- the three passes of one cuDNN convolution ----

// Where cuDNN runs: the handle and its device.
struct Gpu {
  cudnnHandle_t handle;
  int device;
};

// Workspace from the device's caching allocator (undefined, a null pointer, for none).
Tensor workspace(const Gpu& gpu, std::size_t bytes) {
  if (bytes == 0) return Tensor();
  return device_bytes(bytes, gpu.device);
}

// out = conv(in, filter)
void run_forward(const Gpu& gpu, const Problem& pr, const float* in, const float* filter,
                 float* out) {
  const Descriptors d = describe(pr);
  const Choice c = choice_for(gpu.handle, gpu.device, Pass::forward, pr, d);
  const Tensor ws = workspace(gpu, c.workspace);
  check(cudnnConvolutionForward(gpu.handle, &kOne, d.in.get(), in, d.filter.get(), filter,
                                d.conv.get(), static_cast<cudnnConvolutionFwdAlgo_t>(c.algo),
                                ws.raw(), c.workspace, &kZero, d.out.get(), out),
        "convolution forward on cuda:" + std::to_string(gpu.device));
}

// d_in = conv's input gradient from d_out
void run_backward_data(const Gpu& gpu, const Problem& pr, const float* filter, const float* d_out,
                       float* d_in) {
  const Descriptors d = describe(pr);
  const Choice c = choice_for(gpu.handle, gpu.device, Pass::backward_data, pr, d);
  const Tensor ws = workspace(gpu, c.workspace);
  check(
      cudnnConvolutionBackwardData(gpu.handle, &kOne, d.filter.get(), filter, d.out.get(), d_out,
                                   d.conv.get(), static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo),
                                   ws.raw(), c.workspace, &kZero, d.in.get(), d_in),
      "convolution input gradient on cuda:" + std::to_string(gpu.device));
}

// d_filter = conv's weight gradient from in and d_out
void run_backward_filter(const Gpu& gpu, const Problem& pr, const float* in, const float* d_out,
                         float* d_filter) {
  const Descriptors d = describe(pr);
  const Choice c = choice_for(gpu.handle, gpu.device, Pass::backward_filter, pr, d);
  const Tensor ws = workspace(gpu, c.workspace);
  check(cudnnConvolutionBackwardFilter(gpu.handle, &kOne, d.in.get(), in, d.out.get(), d_out,
                                       d.conv.get(),
                                       static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo),
                                       ws.raw(), c.workspace, &kZero, d.filter.get(), d_filter),
        "convolution weight gradient on cuda:" + std::to_string(gpu.device));
}

// ---- bias ----

// A bias [C] as cuDNN broadcasts it over `dims` (cuDNN's dims of the tensor it meets).
std::vector<int> bias_dims(const std::vector<int>& dims) {
  std::vector<int> b(dims.size(), 1);
  b[1] = dims[1];
  return b;
}

// y += b per channel; `dims` are y's cuDNN dims.
void add_bias(const Gpu& gpu, const std::vector<int>& dims, const Tensor& y, const Tensor& b) {
  const TensorDesc yd = tensor_desc(dims), bd = tensor_desc(bias_dims(dims));
  check(cudnnAddTensor(gpu.handle, &kOne, bd.get(), floats(b), &kOne, yd.get(), floats(y)),
        "adding a convolution's bias on cuda:" + std::to_string(gpu.device));
}

// The bias gradient: dy summed over the batch and space per channel; `dims` are dy's cuDNN dims.
Tensor bias_gradient(const Gpu& gpu, const std::vector<int>& dims, const Tensor& dy) {
  Tensor db(Layout::plain({dy.dim(1)}), Device::cuda(gpu.device));
  const TensorDesc dyd = tensor_desc(dims), bd = tensor_desc(bias_dims(dims));
  check(cudnnConvolutionBackwardBias(gpu.handle, &kOne, dyd.get(), floats(dy), &kZero, bd.get(),
                                     floats(db)),
        "a convolution's bias gradient on cuda:" + std::to_string(gpu.device));
  return db;
}

// `w` [groups*a, b, *K] as [groups*b, a, *K] (conv_kernels.hpp).
Tensor swap_group_axes(const Tensor& w, int64_t groups, int device) {
  const int64_t a = w.dim(0) / groups, b = w.dim(1), k = w.numel() / (w.dim(0) * b);
  Shape shape = w.shape();
  shape[0] = groups * b, shape[1] = a;
  Tensor out(Layout::plain(shape), Device::cuda(device));
  launch_swap_group_axes(floats(w), floats(out), groups, a, b, k);
  return out;
}

}  // namespace

Tensor CudaBackend::conv_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                 const ConvParams& p) {
  use_device(device_);
  const Gpu gpu{cudnn(), device_};
  const Planned pl = plan_conv(x.shape(), w.shape(), p);
  Tensor y(Layout::plain(pl.y), Device::cuda(device_));
  run_forward(gpu, pl.problem, floats(x), floats(w), floats(y));
  if (b.defined()) add_bias(gpu, pl.problem.out, y, b);
  return y;
}

ConvGrads CudaBackend::conv_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                     const ConvParams& p, bool has_bias, bool need_dx) {
  use_device(device_);
  const Gpu gpu{cudnn(), device_};
  const Problem pr = plan_conv(x.shape(), w.shape(), p).problem;
  ConvGrads g;
  if (need_dx) {
    g.dx = Tensor(Layout::plain(x.shape()), Device::cuda(device_));
    run_backward_data(gpu, pr, floats(w), floats(dy), floats(g.dx));
  }
  g.dw = Tensor(Layout::plain(w.shape()), Device::cuda(device_));
  run_backward_filter(gpu, pr, floats(x), floats(dy), floats(g.dw));
  if (has_bias) g.db = bias_gradient(gpu, pr.out, dy);
  return g;
}

Tensor CudaBackend::conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                           const ConvParams& p) {
  use_device(device_);
  const Gpu gpu{cudnn(), device_};
  const Planned pl = plan_transposed(x.shape(), w.shape(), p);
  const Tensor filter = swap_group_axes(w, p.groups, device_);
  Tensor y(Layout::plain(pl.y), Device::cuda(device_));
  run_backward_data(gpu, pl.problem, floats(filter), floats(x), floats(y));
  if (b.defined()) add_bias(gpu, pl.problem.in, y, b);
  return y;
}

ConvGrads CudaBackend::conv_transpose_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                               const ConvParams& p, bool has_bias, bool need_dx) {
  use_device(device_);
  const Gpu gpu{cudnn(), device_};
  const Problem pr = plan_transposed(x.shape(), w.shape(), p).problem;
  ConvGrads g;
  if (need_dx) {
    const Tensor filter = swap_group_axes(w, p.groups, device_);
    g.dx = Tensor(Layout::plain(x.shape()), Device::cuda(device_));
    run_forward(gpu, pr, floats(dy), floats(filter), floats(g.dx));
  }
  const Tensor d_filter(Layout::plain(transposed_filter(w.shape(), x.dim(1), p.groups)),
                        Device::cuda(device_));
  run_backward_filter(gpu, pr, floats(dy), floats(x), floats(d_filter));
  g.dw = swap_group_axes(d_filter, p.groups, device_);
  if (has_bias) g.db = bias_gradient(gpu, pr.in, dy);
  return g;
}

}  // namespace tessera::cuda
