// GDAL rasters (GeoTIFF, VRT, Erdas .img, ASCII grids, ...): 2D, bands = channels. Both ways go
// through RasterIO on the region only, so large rasters stream; GDAL converts any band type to
// and from float (rounding and clamping for integer types).
#include <cpl_string.h>
#include <gdal_priv.h>

#include <cmath>
#include <stdexcept>

#include "format_common.hpp"
#include "tessera/formats/gdal_session.hpp"

namespace tessera::formats {

namespace {

GDALDataType gdal_type(DType t) {
  switch (t) {
    case DType::u8:
      return GDT_Byte;
    case DType::u16:
      return GDT_UInt16;
    case DType::u64:
      return GDT_UInt64;
    case DType::f32:
      break;
  }
  return GDT_Float32;
}

// Reads or writes all bands of `region` as planar float [C, h, w].
CPLErr raster_io(GDALDataset& ds, GDALRWFlag flag, const Region& region, float* values) {
  const int x = static_cast<int>(region.origin[1]), y = static_cast<int>(region.origin[0]);
  const int w = static_cast<int>(region.size[1]), h = static_cast<int>(region.size[0]);
  return ds.RasterIO(flag, x, y, w, h, values, w, h, GDT_Float32, ds.GetRasterCount(), nullptr, 0,
                     0, 0, nullptr);
}

class GdalSource final : public VolumeSource {
 public:
  explicit GdalSource(const std::string& path) : path_(path) {
    GdalSession gdal;
    dataset_.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    if (!dataset_)
      throw std::runtime_error("'" + path + "': not a readable raster" + GdalSession::reason());
    if (dataset_->GetRasterCount() < 1)
      throw std::runtime_error("'" + path + "': raster has no bands" + subdatasets());
    read_info();
  }
  const VolumeInfo& info() const override { return info_; }

  Tensor read(const Region& region) override {
    require_inside(info_, region, path_);
    Tensor out = Tensor::empty(tensor_shape(info_.channels, region.size));
    if (region.empty()) return out;
    GdalSession gdal;
    if (raster_io(*dataset_, GF_Read, region, out.data()) != CE_None)
      throw std::runtime_error("'" + path_ + "': cannot read region " + region.str() +
                               GdalSession::reason());
    return out;
  }

 private:
  void read_info() {
    info_.channels = dataset_->GetRasterCount();
    info_.size = {dataset_->GetRasterYSize(), dataset_->GetRasterXSize()};
    require_sensible_size(info_, path_);
    double gt[6];
    // Spacing is the pixel size; a north-up raster has a negative y step, hence the abs.
    if (dataset_->GetGeoTransform(gt) == CE_None)
      info_.spacing = {std::abs(gt[5]), std::abs(gt[1])};
    GDALRasterBand* band = dataset_->GetRasterBand(1);
    info_.description = std::string(GDALGetDataTypeName(band->GetRasterDataType())) + " " +
                        dataset_->GetDriver()->GetDescription() + " raster";
    // No-data cells read as their marker value (e.g. -32768); say so, since it is not data.
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    if (has_nodata) info_.description += ", nodata " + CPLString().Printf("%.10g", nodata);
  }

  // Containers (netCDF, HDF) hold rasters as subdatasets, opened by name with gdal:NAME.
  std::string subdatasets() const {
    char** names = dataset_->GetMetadata("SUBDATASETS");
    std::string list;
    for (int i = 0; names && names[i] && i < 32; ++i) {  // SUBDATASET_n_NAME=..., _DESC=...
      const std::string item = names[i];
      const size_t eq = item.find("_NAME=");
      if (eq != std::string::npos) list += (list.empty() ? "" : ", ") + item.substr(eq + 6);
    }
    return list.empty() ? "" : " (subdatasets: " + list + ")";
  }

  std::string path_;
  GDALDatasetUniquePtr dataset_;
  VolumeInfo info_;
};

// GeoTIFF, tiled so that region writes touch whole blocks, band-interleaved to match the
// planar tensors.
class GdalSink final : public VolumeSink {
 public:
  GdalSink(const std::string& path, const VolumeInfo& like, int64_t channels, DType type)
      : path_(path), atomic_(path), info_{channels, like.size, like.spacing, "GeoTIFF"} {
    GdalSession gdal;
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (!driver) throw std::runtime_error("'" + path + "': GDAL has no GTiff driver");
    CPLStringList options;
    options.SetNameValue("TILED", "YES");
    options.SetNameValue("INTERLEAVE", "BAND");
    options.SetNameValue("BIGTIFF", "IF_SAFER");
    dataset_.reset(driver->Create(atomic_.temp_path().c_str(), static_cast<int>(like.size[1]),
                                  static_cast<int>(like.size[0]), static_cast<int>(channels),
                                  gdal_type(type), options.List()));
    if (!dataset_)
      throw std::runtime_error("'" + path + "': cannot create" + GdalSession::reason());
    if (like.spacing.size() == 2) {
      double gt[6] = {0, like.spacing[1], 0, 0, 0, -like.spacing[0]};
      dataset_->SetGeoTransform(gt);
    }
  }

  void write(const Region& region, const Tensor& data) override {
    require_inside(info_, region, path_);
    require_data(info_, region, data, path_);
    if (region.empty()) return;
    Tensor plain = data.to_plain();
    GdalSession gdal;
    if (raster_io(*dataset_, GF_Write, region, plain.data()) != CE_None)
      throw std::runtime_error("'" + path_ + "': cannot write region " + region.str() +
                               GdalSession::reason());
  }

  void commit() override {
    GdalSession gdal;
    // GDAL 3.6 reports a failing flush or close (a full disk) only as its last error.
    dataset_->FlushCache(true);
    const bool flush_failed = GdalSession::failed();
    dataset_.reset();
    if (flush_failed || GdalSession::failed())
      throw std::runtime_error("'" + path_ + "': cannot finish writing" + GdalSession::reason());
    atomic_.commit();
  }

 private:
  std::string path_;
  AtomicFile atomic_;  // declared before the dataset: it closes before the temp is removed
  VolumeInfo info_;
  GDALDatasetUniquePtr dataset_;
};

}  // namespace

std::unique_ptr<VolumeSource> open_gdal(const std::string& path) {
  return std::make_unique<GdalSource>(path);
}

std::unique_ptr<VolumeSink> create_gdal(const std::string& path, const VolumeInfo& like,
                                        int64_t channels, DType type) {
  if (like.size.size() != 2)
    throw std::invalid_argument("'" + path + "': GeoTIFF holds 2D rasters, not " +
                                to_string(like.size));
  return std::make_unique<GdalSink>(path, like, channels, type);
}

}  // namespace tessera::formats
