#pragma once
// The rollup query planner: which cube answers a query, and how a long range splits into whole
// months (read from monthly cubes) and ragged day ends. Engines only run the reads it plans.

#include <vector>

#include "core/result.h"
#include "store/rollup_engine.h"
#include "store/rollup_store.h"

namespace mitsu::intel {

struct QueryPlan {
  std::vector<store::CubeRead> reads;
  // More than one read: the rows are summed by key here, then ordered and limited.
  bool merge = false;
};

// Checks the query's dimensions and filter values; picks the cubes.
Result<QueryPlan> plan_query(const store::RollupQuery& query);
// Runs the plan's reads and gives rows as RollupStore::query does (day as YYYY-MM-DD).
Result<std::vector<store::RollupRow>> run_plan(store::RollupEngine& engine,
                                               const store::RollupQuery& query,
                                               const QueryPlan& plan);

}  // namespace mitsu::intel
