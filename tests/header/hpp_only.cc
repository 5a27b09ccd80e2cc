// codesync.hpp alone under -Wall -Wextra -pedantic -Werror. -fsyntax-only
// still instantiates templates, so every template is used once here.
#include "codesync.hpp"

void CodesyncHeaderTestHpp(codesync::Doc& doc) {
  codesync::Subscription updates =
      doc.ObserveUpdates([](codesync::ByteView update, std::string_view origin) { (void)update, (void)origin; });
  codesync::Text text = doc.GetText("t");
  codesync::Subscription deltas = text.Observe(
      [](const std::vector<codesync::DeltaOp>& delta, std::string_view origin) { (void)delta, (void)origin; });
  doc.Transact("origin", [&] { text.Insert(0, "x"); });
  doc.Transact([&] { text.Insert(0, "y"); });
  codesync::Subscription moved = std::move(updates);
  moved.Reset();
}
