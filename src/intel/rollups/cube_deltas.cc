#include "intel/rollups/cube_deltas.h"

#include <algorithm>

namespace mitsu::intel {
namespace {

// An unambiguous map key for a row: each value length-prefixed or fixed-size.
void append_key(std::string& key, const store::CubeValue& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) {
    key.push_back('i');
    key.append(reinterpret_cast<const char*>(n), sizeof *n);
  } else {
    const std::string& s = std::get<std::string>(v);
    auto size = static_cast<std::uint32_t>(s.size());
    key.push_back('s');
    key.append(reinterpret_cast<const char*>(&size), sizeof size);
    key.append(s);
  }
}

}  // namespace

CubeDeltas::CubeDeltas() : pending_(cubes().size()) {}

void CubeDeltas::add(CubeFamily family, const std::vector<store::CubeValue>& values,
                     std::int64_t first, std::int64_t second) {
  auto all = cubes();
  std::string key;
  for (std::size_t c = 0; c < all.size(); ++c) {
    const Cube& cube = all[c];
    if (cube.family != family) {
      continue;
    }
    key.clear();
    for (std::size_t at : cube.from_family) {
      append_key(key, values[at]);
    }
    auto [it, inserted] = pending_[c].try_emplace(key);
    store::CubeDelta& delta = it->second;
    if (inserted) {
      delta.cube = c;
      delta.key.reserve(cube.from_family.size());
      for (std::size_t at : cube.from_family) {
        delta.key.push_back(values[at]);
      }
      delta.amounts.assign(cube.spec.measures.size(), 0);
    }
    delta.amounts[0] += first;
    if (delta.amounts.size() > 1) {
      delta.amounts[1] += second;
    }
  }
}

void CubeDeltas::add_session(const SessionFold& fold, int sign) {
  Classification c = fold.classification();
  const SessionDims& d = fold.dims;
  // family_columns(kSession): day month country asn protocol port device_type site class
  // interactive targeted.
  add(CubeFamily::kSession,
      {d.day, month_of(d.day), d.country, std::int64_t{d.asn}, d.protocol, std::int64_t{d.dst_port},
       d.device_type, d.site, std::string(to_string(c.session_class)),
       std::int64_t{c.interactive ? 1 : 0}, std::int64_t{fold.targeted ? 1 : 0}},
      sign, sign * fold.events);
}

void CubeDeltas::add_exploit(const Event& e, const TargetProfile& profile) {
  std::int64_t day = utc_day(e.ts_us);
  // day month rule protocol port country asn targeted
  add(CubeFamily::kExploit,
      {day, month_of(day), e.rule_id, e.protocol, std::int64_t{e.dst_port}, e.country,
       std::int64_t{e.asn}, std::int64_t{profile.matches(e) ? 1 : 0}},
      1, 0);
}

void CubeDeltas::add_sample(const SampleFacts& s, int sign) {
  // day month family arch known target targeted
  add(CubeFamily::kSample,
      {s.day, month_of(s.day), s.family, s.arch, s.known, s.target, s.targeted}, sign, 0);
  for (const auto& [source, domain] : s.domains) {
    add(CubeFamily::kDomain, {domain, source}, sign, 0);  // domain source
  }
}

std::vector<store::CubeDelta> CubeDeltas::take() {
  std::vector<store::CubeDelta> out;
  for (auto& cube : pending_) {
    for (auto& [key, delta] : cube) {
      if (std::any_of(delta.amounts.begin(), delta.amounts.end(), [](auto n) { return n != 0; })) {
        out.push_back(std::move(delta));
      }
    }
    cube.clear();
  }
  return out;
}

}  // namespace mitsu::intel
