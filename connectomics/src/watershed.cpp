// The watershed and the raw-intensity baseline, on ITK's filters.
#include <itkBinaryThresholdImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkHMaximaImageFilter.h>
#include <itkImage.h>
#include <itkMorphologicalWatershedFromMarkersImageFilter.h>
#include <itkRegionalMaximaImageFilter.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>
#include <itkSmoothingRecursiveGaussianImageFilter.h>

#include <algorithm>
#include <stdexcept>

#include "tessera/connectomics/segmentation.hpp"

namespace tessera::connectomics {

namespace {

using FloatImage = itk::Image<float, 3>;
using MaskImage = itk::Image<unsigned char, 3>;
using IdImage = itk::Image<uint32_t, 3>;

// [D, H, W] or [1, 1, D, H, W] -> its z, y, x size.
Shape volume_size(const Tensor& t, const char* what) {
  const Shape& s = t.shape();
  if (s.size() == 3) return s;
  if (s.size() == 5 && s[0] == 1 && s[1] == 1) return {s[2], s[3], s[4]};
  throw std::invalid_argument(std::string(what) + ": expected [D,H,W] or [1,1,D,H,W], got " +
                              to_string(s));
}

FloatImage::Pointer to_itk(const Tensor& t, const Shape& zyx) {
  auto img = FloatImage::New();
  FloatImage::SizeType size;
  size[0] = itk::SizeValueType(zyx[2]);  // ITK's index 0 is x
  size[1] = itk::SizeValueType(zyx[1]);
  size[2] = itk::SizeValueType(zyx[0]);
  img->SetRegions(FloatImage::RegionType(size));
  img->Allocate();
  const Tensor p = t.to_plain();
  std::copy(p.data(), p.data() + p.numel(), img->GetBufferPointer());
  return img;
}

Tensor from_itk(FloatImage* img, const Shape& zyx) {
  Tensor t = Tensor::empty(zyx);
  std::copy(img->GetBufferPointer(), img->GetBufferPointer() + t.numel(), t.data());
  return t;
}

}  // namespace

Tensor boundary_map(const Tensor& aff_in) {
  const Tensor aff = aff_in.to_plain();
  if (aff.ndim() != 5 || aff.dim(0) != 1 || aff.dim(1) < 3)
    throw std::invalid_argument("affinities must be [1, C>=3, D, H, W], got " +
                                to_string(aff.shape()));
  const int64_t d = aff.dim(2), h = aff.dim(3), w = aff.dim(4), n = d * h * w;
  Tensor b = Tensor::empty({d, h, w});
  const int64_t step[3] = {h * w, w, 1};
  const int64_t extent[3] = {d, h, w};
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos[3] = {i / (h * w), (i / w) % h, i % w};
    float weakest = 1.f;
    for (int a = 0; a < 3; ++a) {
      const float* c = aff.data() + a * n;  // channel a links i and i - e_a
      if (pos[a] > 0) weakest = std::min(weakest, c[i]);
      if (pos[a] + 1 < extent[a]) weakest = std::min(weakest, c[i + step[a]]);
    }
    b.data()[i] = 1.f - weakest;
  }
  return b;
}

LabelVolume watershed_fragments(const Tensor& boundary, const WatershedOptions& o) {
  const Shape zyx = volume_size(boundary, "watershed_fragments");
  auto b = to_itk(boundary, zyx);

  auto inside = itk::BinaryThresholdImageFilter<FloatImage, MaskImage>::New();
  inside->SetInput(b);
  inside->SetUpperThreshold(o.threshold);
  inside->SetLowerThreshold(-1e30f);
  inside->SetInsideValue(1);
  inside->SetOutsideValue(0);

  auto distance = itk::SignedMaurerDistanceMapImageFilter<MaskImage, FloatImage>::New();
  distance->SetInput(inside->GetOutput());
  distance->SetInsideIsPositive(true);
  distance->SetSquaredDistance(false);
  distance->SetUseImageSpacing(false);

  auto hmax = itk::HMaximaImageFilter<FloatImage, FloatImage>::New();
  hmax->SetInput(distance->GetOutput());
  hmax->SetHeight(float(o.seed_height));

  auto maxima = itk::RegionalMaximaImageFilter<FloatImage, MaskImage>::New();
  maxima->SetInput(hmax->GetOutput());
  maxima->SetForegroundValue(1);
  maxima->SetBackgroundValue(0);
  maxima->SetFlatIsMaxima(false);  // a volume with no boundary at all has no seed

  auto seeds = itk::ConnectedComponentImageFilter<MaskImage, IdImage>::New();
  seeds->SetInput(maxima->GetOutput());
  seeds->SetFullyConnected(true);

  // Each stage's output is freed once the next has used it.
  inside->ReleaseDataFlagOn();
  distance->ReleaseDataFlagOn();
  hmax->ReleaseDataFlagOn();
  maxima->ReleaseDataFlagOn();
  seeds->ReleaseDataFlagOn();

  auto flood = itk::MorphologicalWatershedFromMarkersImageFilter<FloatImage, IdImage>::New();
  flood->SetInput(b);
  flood->SetMarkerImage(seeds->GetOutput());
  flood->SetMarkWatershedLine(false);
  flood->SetFullyConnected(false);
  flood->Update();

  LabelVolume l{zyx, std::vector<uint64_t>(size_t(product(zyx))), {}};
  const uint32_t* ids = flood->GetOutput()->GetBufferPointer();
  bool any = false;
  for (size_t i = 0; i < l.ids.size(); ++i) l.ids[i] = ids[i], any = any || ids[i] != 0;
  if (!any) std::fill(l.ids.begin(), l.ids.end(), 1);  // no seed: one fragment
  relabel_sequential(l);
  return l;
}

Tensor intensity_affinities(const Tensor& raw, double sigma) {
  const Shape zyx = volume_size(raw, "intensity_affinities");
  auto smooth = itk::SmoothingRecursiveGaussianImageFilter<FloatImage, FloatImage>::New();
  smooth->SetInput(to_itk(raw, zyx));
  smooth->SetSigma(sigma);
  smooth->Update();
  Tensor s = from_itk(smooth->GetOutput(), zyx);
  std::vector<float> sorted(s.data(), s.data() + s.numel());
  const size_t lo_at = sorted.size() / 100, hi_at = sorted.size() - 1 - sorted.size() / 100;
  std::nth_element(sorted.begin(), sorted.begin() + long(lo_at), sorted.end());
  const float lo = sorted[lo_at];
  std::nth_element(sorted.begin(), sorted.begin() + long(hi_at), sorted.end());
  const float hi = std::max(sorted[hi_at], lo + 1e-6f);
  for (int64_t i = 0; i < s.numel(); ++i)
    s.data()[i] = std::clamp((s.data()[i] - lo) / (hi - lo), 0.f, 1.f);

  const int64_t d = zyx[0], h = zyx[1], w = zyx[2], n = d * h * w;
  Tensor aff = Tensor::zeros({1, 3, d, h, w});
  const int64_t step[3] = {h * w, w, 1};
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos[3] = {i / (h * w), (i / w) % h, i % w};
    for (int a = 0; a < 3; ++a)
      if (pos[a] > 0) aff.data()[a * n + i] = std::min(s.data()[i], s.data()[i - step[a]]);
  }
  return aff;
}

}  // namespace tessera::connectomics
