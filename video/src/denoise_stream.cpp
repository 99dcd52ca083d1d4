// The sliding window: for frame t and colour plane c, a VolumeSource of the window's frames
// and noise planes that the tiled executor reads by region, and a sink that adds its
// correction to the noisy middle frame.
#include "tessera/video/denoise_stream.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "frame_blocks.hpp"

namespace tessera::video {

int64_t mirrored_frame(int64_t t, int64_t frames) {
  if (frames == 1) return 0;
  const int64_t period = 2 * (frames - 1);
  t = ((t % period) + period) % period;
  return t < frames ? t : period - t;
}

namespace {

// Frame t's plane c, normalised, region by region.
class NormalisedPlane {
 public:
  NormalisedPlane(VolumeSource& clip, const CameraProfile& camera, double photons)
      : clip_(clip), black_(camera.black_level), scale_(1 / (camera.gain * photons)) {}
  Tensor read(int64_t t, int64_t c, const Region& yx) const {
    const Tensor raw = clip_.read({{t, yx.origin[0], yx.origin[1]}, {1, yx.size[0], yx.size[1]}});
    const int64_t pixels = yx.voxels();
    Tensor out = Tensor::empty({1, 1, yx.size[0], yx.size[1]});
    const float* p = raw.data() + c * pixels;
    float* q = out.data();
    for (int64_t i = 0; i < pixels; ++i) q[i] = float((p[i] - black_) * scale_);
    return out;
  }

 private:
  VolumeSource& clip_;
  double black_, scale_;
};

// The network's input for frame t, plane c: the window's frames, then the noise planes.
class WindowSource final : public VolumeSource {
 public:
  WindowSource(const NormalisedPlane& plane, const VolumeInfo& clip, int64_t t, int64_t c,
               int64_t frames, std::array<float, 2> noise)
      : plane_(plane), t_(t), c_(c), frames_(frames), count_(clip.size[0]), noise_(noise) {
    info_.channels = frames + 2;
    info_.size = {clip.size[1], clip.size[2]};
  }
  const VolumeInfo& info() const override { return info_; }
  Tensor read(const Region& region) override {
    std::vector<Tensor> planes;
    std::vector<const float*> window;
    for (int64_t f = 0; f < frames_; ++f) {
      planes.push_back(plane_.read(mirrored_frame(t_ - frames_ / 2 + f, count_), c_, region));
      window.push_back(planes.back().data());
    }
    Tensor x = Tensor::empty({1, frames_ + 2, region.size[0], region.size[1]});
    stack_window(window, region.voxels(), noise_, x.data());
    return x;
  }

 private:
  const NormalisedPlane& plane_;
  int64_t t_, c_, frames_, count_;
  std::array<float, 2> noise_;
  VolumeInfo info_;
};

// Adds each region's correction to the noisy middle frame, into plane c of `frame`.
class CorrectedSink final : public VolumeSink {
 public:
  CorrectedSink(const NormalisedPlane& plane, int64_t t, int64_t c, Tensor& frame)
      : plane_(plane), t_(t), c_(c), frame_(frame) {}
  void write(const Region& region, const Tensor& correction) override {
    const Tensor noisy = plane_.read(t_, c_, region);
    const int64_t w = frame_.dim(4), h = frame_.dim(3);
    const float* d = correction.data();
    const float* n = noisy.data();
    float* out = frame_.data() + c_ * h * w;
    for (int64_t y = 0; y < region.size[0]; ++y)
      for (int64_t x = 0; x < region.size[1]; ++x) {
        const int64_t i = y * region.size[1] + x;
        out[(region.origin[0] + y) * w + region.origin[1] + x] = n[i] + d[i];
      }
  }
  void commit() override {}

 private:
  const NormalisedPlane& plane_;
  int64_t t_, c_;
  Tensor& frame_;
};

}  // namespace

void denoise_frames(Denoiser& d, VolumeSource& clip, const StreamOptions& o,
                    const std::function<void(int64_t, const Tensor&)>& done) {
  require_clip(clip, "the clip", 1);
  if (!(o.photons > 0) || !std::isfinite(o.photons))
    throw std::invalid_argument("the exposure (photons at white) must be above 0");
  const VolumeInfo& info = clip.info();
  const int64_t count = o.frames > 0 ? std::min(o.frames, info.size[0]) : info.size[0];
  const NormalisedPlane plane(clip, o.camera, o.photons);
  const auto noise = noise_levels(o.camera, o.photons);
  TileOptions tile = o.tile;
  for (int64_t t = 0; t < count; ++t) {
    Tensor frame = Tensor::empty({1, info.channels, 1, info.size[1], info.size[2]});
    for (int64_t c = 0; c < info.channels; ++c) {
      WindowSource window(plane, info, t, c, d.frames, noise);
      CorrectedSink sink(plane, t, c, frame);
      if (o.whole) {
        const Tensor x = window.read(Region::whole(window.info().size));
        sink.write(Region::whole(window.info().size), run_whole(*d.network, x).to_plain());
        continue;
      }
      // Planned once: every plane of every frame has the same shape.
      const TileReport r = run_tiled(
          *d.network, window,
          [&](int64_t) { return std::make_unique<CorrectedSink>(plane, t, c, frame); }, tile);
      if (tile.tile.empty()) tile.tile = r.plan.core;
      tile.progress = false;
    }
    done(t, frame);
  }
}

void filter_frames(VolumeSource& clip, const StreamOptions& o, int64_t window,
                   const PlaneFilter& filter,
                   const std::function<void(int64_t, const Tensor&)>& done) {
  require_clip(clip, "the clip", 1);
  if (!(o.photons > 0) || !std::isfinite(o.photons))
    throw std::invalid_argument("the exposure (photons at white) must be above 0");
  const VolumeInfo& info = clip.info();
  const int64_t count = o.frames > 0 ? std::min(o.frames, info.size[0]) : info.size[0];
  const NormalisedPlane plane(clip, o.camera, o.photons);
  const Region whole = Region::whole({info.size[1], info.size[2]});
  const int h = int(info.size[1]), w = int(info.size[2]);
  for (int64_t t = 0; t < count; ++t) {
    Tensor frame = Tensor::empty({1, info.channels, 1, info.size[1], info.size[2]});
    for (int64_t c = 0; c < info.channels; ++c) {
      std::vector<Tensor> planes;
      std::vector<cv::Mat> mats;
      for (int64_t f = 0; f < window; ++f) {
        planes.push_back(plane.read(mirrored_frame(t - window / 2 + f, info.size[0]), c, whole));
        mats.emplace_back(h, w, CV_32F, planes.back().data());
      }
      const cv::Mat out = filter(mats);
      cv::Mat destination(h, w, CV_32F, frame.data() + c * h * w);
      out.copyTo(destination);
    }
    done(t, frame);
  }
}

double exposure_of_clip(VolumeSource& clip, const CameraProfile& camera) {
  require_clip(clip, "the clip", 1);
  std::vector<float> values;
  for_each_frame_block(clip, 4, 8, [&](int64_t, const Tensor& block) {
    const float* p = block.data();
    for (int64_t i = 0; i < block.numel(); ++i)
      values.push_back(float((p[i] - camera.black_level) / camera.gain));
  });
  const size_t k = std::min(values.size() - 1, size_t(0.995 * double(values.size())));
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
  return std::max(1.0, double(values[k]));
}

}  // namespace tessera::video
