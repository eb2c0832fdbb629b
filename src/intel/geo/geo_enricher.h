#pragma once
// Adapts the GeoIP resolver to the collector's Enricher: country and ASN of the source address.
// Header-only, so the collector links no intel and intel links no collector.

#include "collector/enricher.h"
#include "intel/geo/geo_database.h"

namespace mitsu::intel {

class GeoEnricher : public collector::Enricher {
 public:
  explicit GeoEnricher(GeoResolver& geo) : geo_(geo) {}

  void enrich(Event& event) override {
    if (event.src_ip.empty()) {
      return;
    }
    const GeoInfo& where = geo_.lookup(event.src_ip);
    event.country = where.country;
    event.asn = where.asn;
    event.as_org = where.as_org;
  }

 private:
  GeoResolver& geo_;
};

}  // namespace mitsu::intel
