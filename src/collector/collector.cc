#include "collector/collector.h"

#include <future>

#include "core/clock.h"

namespace mitsu::collector {

Collector::Collector(spool::Spool& spool, store::EventStore& events, store::Catalog& catalog,
                     store::UnitOfWork& unit_of_work, CollectorOptions options)
    : spool_(spool),
      events_(events),
      catalog_(catalog),
      unit_of_work_(unit_of_work),
      options_(options) {}

Result<Collector::Parsed> Collector::read_and_parse() {
  Result<spool::Batch> batch = spool_.read(options_.batch_records);
  if (!batch) {
    return Error{batch.error()};
  }
  Parsed parsed;
  parsed.records = std::move(batch->records);
  parsed.next = batch->next;
  parsed.events.resize(parsed.records.size());
  std::size_t valid = 0;
  for (std::size_t i = 0; i < parsed.records.size(); ++i) {
    Rejection why;
    if (parser_.parse(parsed.records[i], parsed.events[valid], why)) {
      Event& event = parsed.events[valid];
      if (geo_ != nullptr && !event.src_ip.empty()) {
        const intel::GeoInfo& where = geo_->lookup(event.src_ip);
        event.country = where.country;
        event.asn = where.asn;
        event.as_org = where.as_org;
      }
      ++valid;
    } else {
      parsed.rejected.push_back({i, std::move(why)});
    }
  }
  parsed.events.resize(valid);
  return parsed;
}

Status Collector::commit(Parsed& parsed) {
  if (parsed.records.empty()) {
    // The cursor may still have moved past the end of a sealed segment: let it be removed.
    return spool_.ack(parsed.next);
  }
  store::InsertOutcome outcome;
  std::int64_t now = now_unix_us();
  Status committed = unit_of_work_.run([&]() -> Status {
    auto inserted = events_.insert(parsed.events);
    if (!inserted) {
      return Error{inserted.error()};
    }
    outcome = std::move(*inserted);
    std::vector<const Event*> fresh;
    fresh.reserve(outcome.inserted);
    for (std::size_t i = 0; i < parsed.events.size(); ++i) {
      if (outcome.fresh[i]) {
        fresh.push_back(&parsed.events[i]);
      }
    }
    if (Status status = catalog_.apply(fresh); !status) {
      return status;
    }
    if (rollups_ != nullptr) {
      if (Status status = rollups_->apply(fresh); !status) {
        return status;
      }
    }
    for (const Rejected& r : parsed.rejected) {
      if (Status status = events_.quarantine(parsed.records[r.record], r.why, now); !status) {
        return status;
      }
    }
    return {};
  });
  if (!committed) {
    return committed;
  }
  if (Status status = spool_.ack(parsed.next); !status) {
    return status;
  }
  ++stats_.batches;
  stats_.read += parsed.records.size();
  stats_.stored += outcome.inserted;
  stats_.duplicates += outcome.duplicates;
  stats_.rejected += parsed.rejected.size();
  for (const Rejected& r : parsed.rejected) {
    ++stats_.rejected_by_code[static_cast<std::size_t>(r.why.code)];
  }
  return {};
}

Result<std::size_t> Collector::drain_once() {
  Result<Parsed> parsed = read_and_parse();
  if (!parsed) {
    return Error{parsed.error()};
  }
  if (Status status = commit(*parsed); !status) {
    spool_.rewind();  // nothing was stored: read the batch again next time
    return Error{status.error()};
  }
  return parsed->records.size();
}

Result<std::uint64_t> Collector::drain() {
  std::uint64_t total = 0;
  auto fetch = [this] { return read_and_parse(); };
  std::future<Result<Parsed>> ahead = std::async(std::launch::async, fetch);
  while (true) {
    Result<Parsed> current = ahead.get();
    if (!current) {
      return Error{current.error()};
    }
    bool caught_up = current->records.empty();
    if (!caught_up) {
      ahead = std::async(std::launch::async, fetch);  // overlaps with the commit below
    }
    if (Status status = commit(*current); !status) {
      if (!caught_up) {
        ahead.wait();  // let the read in flight finish before moving the cursor back
      }
      spool_.rewind();
      return Error{status.error()};
    }
    total += current->records.size();
    if (caught_up) {
      if (!spool_.has_unread()) {
        return total;
      }
      ahead = std::async(std::launch::async, fetch);
    }
  }
}

}  // namespace mitsu::collector
