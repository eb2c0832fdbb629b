#pragma once
// What the collector asks to fill in derived fields of an event (country, ASN, …) before it is
// stored. Implementations live with what they know (intel/geo/geo_enricher.h), so the collector
// links none of them.

#include "core/event.h"

namespace mitsu::collector {

class Enricher {
 public:
  virtual ~Enricher() = default;
  // Called on the collector's reading thread, one event at a time; never concurrently.
  virtual void enrich(Event& event) = 0;
};

}  // namespace mitsu::collector
