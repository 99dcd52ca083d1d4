#pragma once
// Static basin attributes (area, mean elevation, aridity, ...) that a model of many basins reads
// beside the weather, so that it can tell one basin's response from another's.
//
//   double aridity = camels_attribute("camels_us", "01022500", "aridity");
//   double slope = table_attribute("attributes.csv", "gauge_id", "01022500", "slope");
#include <string>

namespace tessera::hydrology {

// The value in column `name` of the row whose `id_column` is `id` (compared as text, leading
// zeros included) of a table with a header row (delimiter: 0 detects , ; or tab). Throws
// std::runtime_error naming the file when the basin or the column is missing or the value is
// not a finite number.
double table_attribute(const std::string& path, const std::string& id_column, const std::string& id,
                       const std::string& name, char delimiter = 0);

// The attribute from the CAMELS-US attribute files under `root`
// (camels_attributes_v2.0/camels_*.txt, semicolon-separated, keyed by gauge_id): the first
// file with that column.
double camels_attribute(const std::string& root, const std::string& id, const std::string& name);

}  // namespace tessera::hydrology
