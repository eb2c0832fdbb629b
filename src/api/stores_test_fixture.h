#pragma once
// The fixture the API's tests share: a fresh embedded store in a temporary directory, opened
// through the factory as `mitsu run` opens it.

#include <gtest/gtest.h>

#include "store/store_factory.h"
#include "testing/temp_dir.h"

namespace mitsu::api {

class StoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreConfig config;
    config.path = dir_ / "mitsu.db";
    auto opened = store::open_stores(config);
    ASSERT_TRUE(opened.ok()) << opened.error();
    stores_ = std::move(*opened);
  }

  testing::TempDir dir_{"api"};
  store::StoreSet stores_;
};

}  // namespace mitsu::api
