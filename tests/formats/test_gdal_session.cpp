// The GDAL session: drivers registered, GDAL quiet on stderr, its last error as the one-line end
// of a message.
#include <cpl_error.h>
#include <gdal.h>
#include <gtest/gtest.h>

#include "error_of.hpp"
#include "tessera/formats/gdal_session.hpp"

namespace tessera::formats {
namespace {

TEST(GdalSession, ReasonIsGdalsLastErrorOnOneLine) {
  const GdalSession gdal;
  EXPECT_EQ(GdalSession::reason(), "");
  EXPECT_FALSE(GdalSession::failed());
  ::testing::internal::CaptureStderr();
  CPLError(CE_Failure, CPLE_AppDefined, "first line\nsecond line");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // quiet: the caller says it
  EXPECT_EQ(GdalSession::reason(), " (first line second line)");
  EXPECT_TRUE(GdalSession::failed());
}

TEST(GdalSession, WarningsAreNoFailureAndANewSessionStartsClean) {
  {
    const GdalSession gdal;
    CPLError(CE_Warning, CPLE_AppDefined, "careful");
    EXPECT_FALSE(GdalSession::failed());
    EXPECT_EQ(GdalSession::reason(), " (careful)");
    const GdalSession inner;  // sessions nest
    EXPECT_EQ(GdalSession::reason(), "");
  }
  const GdalSession again;
  EXPECT_EQ(GdalSession::reason(), "");
}

TEST(GdalSession, DriversAreRegisteredAndOpenFailuresExplained) {
  const GdalSession gdal;
  EXPECT_NE(GDALGetDriverByName("GTiff"), nullptr);
  EXPECT_NE(GDALGetDriverByName("netCDF"), nullptr);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(GDALOpen("/nonexistent/tessera.tif", GA_ReadOnly), nullptr);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(GdalSession::failed());
  EXPECT_HAS(GdalSession::reason(), "/nonexistent/tessera.tif");
}

}  // namespace
}  // namespace tessera::formats
