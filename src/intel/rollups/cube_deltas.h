#pragma once
// CubeDeltas: the signed changes one batch makes to every cube, summed in memory so the engine
// gets one row change per touched cube row, in one call.

#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "intel/rollups/cubes.h"
#include "intel/rollups/sample_facts.h"
#include "intel/session_fold.h"

namespace mitsu::intel {

class CubeDeltas {
 public:
  CubeDeltas();

  // A session under the class and dimensions its fold gives; sign -1 takes it back.
  void add_session(const SessionFold& fold, int sign);
  void add_exploit(const Event& exploit, const TargetProfile& profile);
  // A sample and the domains it names.
  void add_sample(const SampleFacts& facts, int sign);

  // The changes that did not cancel out; leaves the set empty.
  std::vector<store::CubeDelta> take();

 private:
  // `values` in family_columns(family) order, month included.
  void add(CubeFamily family, const std::vector<store::CubeValue>& values, std::int64_t first,
           std::int64_t second);

  std::vector<std::unordered_map<std::string, store::CubeDelta>> pending_;  // per cube
};

}  // namespace mitsu::intel
