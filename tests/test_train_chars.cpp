// The character model: UTF-8 decoding and the vocabulary, training on a small generated text
// (the loss falls well below the uniform guess), resume continuing the same run (carried state
// included), and sampling.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "recur/train/char_task.h"
#include "support/compare.h"
#include "support/subprocess.h"

namespace recur::train {
namespace {

// A small, learnable text: sentences drawn from a few words by a seeded generator, with one
// two-byte character (é) so that the code-point vocabulary is exercised.
std::string generated_text(int sentences) {
  const char* words[] = {"the", "cat", "sat", "on", "a", "mat", "café", "and", "dog", "ran"};
  Rng rng(99);
  std::string s;
  for (int i = 0; i < sentences; ++i) {
    const int n = 3 + static_cast<int>(rng.below(4));
    for (int k = 0; k < n; ++k) s += std::string(k ? " " : "") + words[rng.below(10)];
    s += ".\n";
  }
  return s;
}

CharConfig tiny(const std::string& backend) {
  CharConfig c;
  c.embed = 8;
  c.hidden = 32;
  c.batch = 4;
  c.seq = 16;
  c.lr = 1e-2;
  c.seed = 5;
  c.backend = backend;
  return c;
}

TEST(TrainText, Utf8RoundTripAndErrors) {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n";  // a é € 😀 newline
  const std::u32string u = decode_utf8(s, "s");
  EXPECT_EQ(u, (std::u32string{U'a', U'\u00E9', U'\u20AC', U'\U0001F600', U'\n'}));
  EXPECT_EQ(encode_utf8(u), s);
  for (const char* bad :
       {"\xC3", "\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF"})
    EXPECT_THROW(decode_utf8(bad, "bad"), Error) << bad;
  const Vocab v(u);
  EXPECT_EQ(v.size(), 5);
  EXPECT_EQ(v.chr(0), U'\n');  // sorted by code point
  EXPECT_EQ(v.id(U'\U0001F600'), 4);
  EXPECT_THROW(v.id(U'b'), Error);
  const Vocab back = Vocab::from_metadata(v.to_metadata(), "meta");
  EXPECT_EQ(back.to_metadata(), v.to_metadata());
  EXPECT_THROW(Vocab::from_metadata("5,3", "meta"), Error);
}

TEST(TrainChars, LossFallsWellBelowTheUniformGuess) {
  CharTask task(generated_text(300), tiny("cpu"), "generated");
  const double uniform = std::log(static_cast<double>(task.vocab().size()));
  // t h e c a s o n m f é d g r, space, '.', '\n'
  EXPECT_EQ(task.vocab().size(), 17);
  const double before = task.validate();
  EXPECT_NEAR(before, uniform, 1.0);  // untrained: about the uniform guess
  double first = 0, last = 0;
  for (int s = 0; s < 150; ++s) {
    const double l = task.train_step();
    if (s < 10) first += l / 10;
    if (s >= 140) last += l / 10;
  }
  EXPECT_LT(last, first - 0.8);
  // Words from a list of ten, in random order: about 1.2 nats/char is learnable; a model that
  // learnt the words but nothing else sits near 1.5. Bound: 1.9.
  EXPECT_LT(task.validate(), 1.9);
}

TEST(TrainChars, ResumeContinuesTheSameRunAndSamplingIsSeeded) {
  test::TempDir dir;
  const std::string text = generated_text(200);
  const std::string path = dir.file("chars.safetensors");
  CharTask straight(text, tiny("cpu-ref"), "generated");
  for (int s = 0; s < 5; ++s) straight.train_step();
  straight.add_report({3, 1.5, 2.25, 2.5});
  straight.add_report({5, 3.0, NAN, 2.125});  // no step since the last report
  straight.save(path);
  std::vector<double> expected;
  for (int s = 0; s < 4; ++s) expected.push_back(straight.train_step());

  CharTask resumed = CharTask::resume(path, text, "generated");
  EXPECT_EQ(resumed.steps(), 5);
  // The validation reports come back, so the resumed run's curves continue.
  ASSERT_EQ(resumed.history().size(), 2u);
  EXPECT_EQ(resumed.history()[0].step, 3);
  EXPECT_EQ(resumed.history()[0].seconds, 1.5);
  EXPECT_EQ(resumed.history()[0].train_loss, 2.25);
  EXPECT_EQ(resumed.history()[1].val_loss, 2.125);
  EXPECT_TRUE(std::isnan(resumed.history()[1].train_loss));
  for (int s = 0; s < 4; ++s) EXPECT_EQ(resumed.train_step(), expected[s]) << s;
  EXPECT_THROW(CharTask::resume(path, text + "x", "other"), Error);  // another text

  CharModel m = load_char_model(path, "cpu-ref");
  const std::string a = sample_text(*m.model, m.vocab, "the ", 0.8, 40, 7);
  const std::string b = sample_text(*m.model, m.vocab, "the ", 0.8, 40, 7);
  const std::string c = sample_text(*m.model, m.vocab, "the ", 0.8, 40, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.rfind("the ", 0), 0u);
  const std::u32string chars = decode_utf8(a, "sample");
  EXPECT_EQ(chars.size(), 44u);
  for (char32_t ch : chars) EXPECT_TRUE(m.vocab.contains(ch));
  EXPECT_THROW(sample_text(*m.model, m.vocab, "xyz", 0.8, 5, 1), Error);  // not in vocabulary
  EXPECT_THROW(sample_text(*m.model, m.vocab, "the", 0.0, 5, 1), Error);

  // Greedy: each character the argmax of the logits, stepped through here by hand; the
  // temperature and seed make no difference.
  const std::string greedy = sample_text(*m.model, m.vocab, "the ", 0.8, 12, 7, true);
  EXPECT_EQ(greedy, sample_text(*m.model, m.vocab, "the ", 3.0, 12, 9, true));
  std::vector<int32_t> ids = m.vocab.encode(decode_utf8("the ", "prime"));
  RnnState state;
  Tensor logits = m.model->forward_tokens(ids, static_cast<int64_t>(ids.size()), 1, Readout::Last,
                                          false, &state);
  std::u32string want;
  for (int i = 0; i < 12; ++i) {
    int32_t best = 0;
    for (int32_t j = 1; j < logits.dim(1); ++j)
      if (logits.item(j) > logits.item(best)) best = j;
    want.push_back(m.vocab.chr(best));
    logits = m.model->forward_tokens({best}, 1, 1, Readout::Last, false, &state);
  }
  EXPECT_EQ(greedy, "the " + encode_utf8(want));
}

TEST(TrainChars, RejectsTextsTooShortOrNotUtf8) {
  EXPECT_THROW(CharTask("abc", tiny("cpu-ref"), "short"), Error);
  EXPECT_THROW(CharTask(generated_text(200) + "\xFF", tiny("cpu-ref"), "bad"), Error);
}

}  // namespace
}  // namespace recur::train
