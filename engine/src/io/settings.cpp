#include "tessera/io/settings.hpp"

#include <algorithm>
#include <memory>

namespace tessera {

Settings::Settings(const nlohmann::json& j, std::string what, std::string path)
    : j_(&j), what_(std::move(what)), path_(std::move(path)) {}

std::string Settings::key_path(std::string_view key) const {
  if (key.empty()) return path_;
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

bool Settings::has(std::string_view key) const {
  if (!j_->is_object()) return false;
  const auto it = j_->find(std::string(key));
  return it != j_->end() && !it->is_null();
}

void Settings::fail(std::string_view key, const std::string& message) const {
  std::string where = key_path(key);
  std::string text = what_;
  if (!where.empty()) text += (text.empty() ? "" : ": ") + where;
  throw std::invalid_argument(text + (text.empty() ? "" : ": ") + message);
}

void Settings::only(const std::vector<std::string>& known) const {
  if (!j_->is_object()) fail("", "must be a mapping of settings, not " + j_->dump());
  for (const auto& [key, value] : j_->items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    fail(key, "unknown setting; known: " + (list.empty() ? std::string("none") : list));
  }
}

void Settings::only(std::initializer_list<std::string_view> known) const {
  only(std::vector<std::string>(known.begin(), known.end()));
}

std::vector<std::string> Settings::names(std::string_view key) const {
  if (!has(key)) return {};
  if (j_->at(std::string(key)).is_string()) return {as<std::string>(key)};
  return as<std::vector<std::string>>(key);
}

Settings Settings::child(std::string_view key) const {
  if (!has(key)) {
    Settings s(*j_, what_, key_path(key));
    s.owned_ = std::make_shared<const nlohmann::json>(nlohmann::json::object());
    s.j_ = s.owned_.get();
    return s;
  }
  const nlohmann::json& v = j_->at(std::string(key));
  if (!v.is_object()) fail(key, "must be a mapping of settings, not " + v.dump());
  Settings s(v, what_, key_path(key));
  s.owned_ = owned_;
  return s;
}

std::size_t Settings::size(std::string_view key) const {
  if (!has(key)) return 0;
  const nlohmann::json& v = j_->at(std::string(key));
  if (!v.is_array()) fail(key, "must be a list, not " + v.dump());
  return v.size();
}

Settings Settings::element(std::string_view key, std::size_t i) const {
  if (i >= size(key)) fail(key, "has no element " + std::to_string(i));
  Settings s(j_->at(std::string(key)).at(i), what_, key_path(key) + "[" + std::to_string(i) + "]");
  s.owned_ = owned_;
  return s;
}

}  // namespace tessera
