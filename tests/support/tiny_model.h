// The tiny Faceptor test models: tests/fixtures/model/<variant>.pth.tar (official names, written
// by tests/reference/make_model_fixtures.py) converted with our converter and loaded. Variants:
// "stage1" (levels [last]), "stage2" (+ new_levels), "all_levels", and the others that script
// writes. The fixtures use a 64x64 dense input (4x4 grid maps) instead of 512 to stay small.
//
//   std::unique_ptr<FaceptorModel> m = tiny_model("stage2");   // eval mode
#pragma once

#include <memory>
#include <string>

#include "faceptor/model.h"

namespace fc::test {

std::unique_ptr<faceptor::FaceptorModel> tiny_model(const std::string& variant = "stage1");

}  // namespace fc::test
