#include "json_object_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fauth/core/errors.hpp"

using fauth::InvalidToken;
using fauth::detail::JsonKind;
using fauth::detail::JsonMember;
using fauth::detail::JsonObjectReader;

namespace {

struct Read {
    std::string key;
    JsonKind kind;
    std::string raw;
};

std::vector<Read> read_all(std::string_view text) {
    JsonObjectReader reader(text, "payload");
    std::vector<Read> out;
    JsonMember m;
    while (reader.next(m)) out.push_back({std::string(m.key), m.kind, std::string(m.raw)});
    return out;
}

// The reason the reader refuses `text`, or "" when it reads it all.
std::string refusal(std::string_view text) {
    try {
        read_all(text);
        return "";
    } catch (const InvalidToken& e) {
        return e.reason();
    }
}

}  // namespace

TEST(JsonObjectReader, ReadsMembersInOrderWithRawValues) {
    const auto members = read_all(R"( {"sub" : "alice", "exp":1700000060,"ok":true, "s":["a","b"], "o":{"x":null}} )");
    ASSERT_EQ(members.size(), 5u);
    EXPECT_EQ(members[0].key, "sub");
    EXPECT_EQ(members[0].kind, JsonKind::string);
    EXPECT_EQ(members[0].raw, "\"alice\"");
    EXPECT_EQ(members[1].kind, JsonKind::number);
    EXPECT_EQ(members[1].raw, "1700000060");
    EXPECT_EQ(members[2].kind, JsonKind::literal);
    EXPECT_EQ(members[3].kind, JsonKind::array);
    EXPECT_EQ(members[3].raw, R"(["a","b"])");
    EXPECT_EQ(members[4].kind, JsonKind::object);
    EXPECT_EQ(members[4].raw, R"({"x":null})");
    EXPECT_TRUE(read_all("{}").empty());
    EXPECT_TRUE(read_all(" { } ").empty());
}

TEST(JsonObjectReader, DecodesEscapesInKeysAndValues) {
    JsonObjectReader reader(R"({"s\u0075b":"a\"b\\c\/d\n\u00e9\ud83d\ude00","plain":"x"})", "payload");
    JsonMember m;
    ASSERT_TRUE(reader.next(m));
    EXPECT_EQ(m.key, "sub");
    EXPECT_FALSE(m.plain);
    EXPECT_EQ(JsonObjectReader::string_value(m), "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
    ASSERT_TRUE(reader.next(m));
    EXPECT_TRUE(m.plain);
    EXPECT_EQ(JsonObjectReader::string_value(m), "x");
    EXPECT_FALSE(reader.next(m));
}

TEST(JsonObjectReader, ReadsArraysOfStrings) {
    JsonObjectReader reader(R"({"a":[ "x" , "y\u0021" ],"b":[],"c":["x",1],"d":"x","e":[["x"]]})", "payload");
    JsonMember m;
    std::vector<std::string> items;
    ASSERT_TRUE(reader.next(m));
    ASSERT_TRUE(JsonObjectReader::string_array(m, items));
    EXPECT_EQ(items, (std::vector<std::string>{"x", "y!"}));
    ASSERT_TRUE(reader.next(m));
    items.clear();
    EXPECT_TRUE(JsonObjectReader::string_array(m, items));
    EXPECT_TRUE(items.empty());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(reader.next(m));
        EXPECT_FALSE(JsonObjectReader::string_array(m, items)) << m.key;
    }
}

TEST(JsonObjectReader, RefusesDuplicateKeysAtTheTopLevelOnly) {
    EXPECT_EQ(refusal(R"({"sub":"a","sub":"b"})"), "payload has a duplicate member");
    EXPECT_EQ(refusal(R"({"sub":"a","s\u0075b":"b"})"), "payload has a duplicate member") << "escaped twin";
    EXPECT_EQ(refusal(R"({"o":{"k":1,"k":2}})"), "") << "nested objects are values, as in nlohmann";
    // Past the first 16 keys duplicates are found by sorting at the end.
    std::string many = "{";
    for (int i = 0; i < 100; ++i) many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    EXPECT_EQ(refusal(many + "\"k99\":0}"), "payload has a duplicate member");
    EXPECT_EQ(refusal(many + "\"k100\":0}"), "");
}

TEST(JsonObjectReader, RefusesWhatIsNotAnObject) {
    EXPECT_EQ(refusal("[1,2]"), "payload is not a JSON object");
    EXPECT_EQ(refusal("\"s\""), "payload is not a JSON object");
    EXPECT_EQ(refusal(" 12 "), "payload is not a JSON object");
    EXPECT_EQ(refusal(""), "payload is not valid JSON");
    EXPECT_EQ(refusal("\xEF\xBB\xBF{}"), "payload is not valid JSON") << "byte order mark";
}

TEST(JsonObjectReader, RefusesInvalidJson) {
    for (const char* bad : {"{",
                            "{\"a\"}",
                            "{\"a\":}",
                            "{\"a\":1,}",
                            "{,}",
                            "{\"a\":1}x",
                            "{\"a\":1}}",
                            "{a:1}",
                            "{'a':1}",
                            "{\"a\":01}",
                            "{\"a\":1.}",
                            "{\"a\":.5}",
                            "{\"a\":1e}",
                            "{\"a\":+1}",
                            "{\"a\":-}",
                            "{\"a\":tru}",
                            "{\"a\":True}",
                            "{\"a\":NaN}",
                            "{\"a\":[1,]}",
                            "{\"a\":[1 2]}",
                            "{\"a\":{\"b\"}}",
                            "{\"a\":{\"b\":1,}}",
                            "{\"a\":[}",
                            "{\"a\":[1}",
                            "{\"a\":{]}",
                            "{\"a\":\"x}",
                            "{\"a\":\"\\x\"}",
                            "{\"a\":\"\\u12\"}",
                            "{\"a\":\"\\ud800\"}",
                            "{\"a\":\"\\udc00\"}",
                            "{\"a\":\"\\ud800\\u0041\"}",
                            "{\"a\":\"tab\there\"}"}) {
        EXPECT_EQ(refusal(bad), "payload is not valid JSON") << bad;
    }
    EXPECT_EQ(refusal(std::string("{\"a\":\"x\0y\"}", 11)), "payload is not valid JSON") << "raw NUL";
}

TEST(JsonObjectReader, RefusesIllFormedUtf8) {
    for (const char* bad : {"\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\x80"}) {
        EXPECT_EQ(refusal(std::string("{\"a\":\"") + bad + "\"}"), "payload is not valid UTF-8") << bad;
        EXPECT_EQ(refusal(std::string("{\"") + bad + "\":1}"), "payload is not valid UTF-8") << bad;
    }
    EXPECT_EQ(refusal("{\"a\":\"\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9\"}"), "");
}

TEST(JsonObjectReader, DeepNestingCostsNoStack) {
    const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    EXPECT_EQ(refusal(deep), "");
    EXPECT_EQ(refusal("{\"a\":" + std::string(100000, '[') + "}"), "payload is not valid JSON");
}

TEST(JsonObjectReader, RefusesNumbersBeyondADoubleAsNlohmannDoes) {
    EXPECT_EQ(refusal(R"({"a":1e308,"b":-1.7e308,"c":1e-700,"d":0e999999999,"e":123456789012345678901234567890})"), "");
    for (const char* bad : {R"({"a":2e308})", R"({"a":-1e700})", R"({"a":0.00001e400})", R"({"a":1e99999999999999999})"})
        EXPECT_EQ(refusal(bad), "payload is not valid JSON") << bad;
    EXPECT_EQ(refusal("{\"a\":1" + std::string(400, '0') + "}"), "payload is not valid JSON");
}

TEST(JsonObjectReader, RefusesBytesAfterTheObjectEvenNul) {
    // nlohmann stops at a NUL byte and would accept this; the reader does not (found by fuzzing).
    EXPECT_EQ(refusal(std::string("{\"a\":1}\0\0", 9)), "payload is not valid JSON");
    EXPECT_EQ(refusal(std::string("{\"a\":1} \0", 9)), "payload is not valid JSON");
}

TEST(JsonObjectReader, BracketsMatchAcrossEveryDepth) {
    // The reader keeps the first 64 open brackets in place and the rest on the heap: a mismatch
    // must be caught on either side of that line, and at it.
    for (const std::size_t depth : {1u, 63u, 64u, 65u, 66u, 130u}) {
        std::string open, close;
        for (std::size_t level = 0; level < depth; ++level) {
            open += level % 2 == 0 ? "[" : "{\"k\":";
            close.insert(close.begin(), level % 2 == 0 ? ']' : '}');
        }
        EXPECT_EQ(refusal("{\"a\":" + open + "1" + close + ",\"b\":2}"), "") << depth;
        for (const std::size_t wrong : {std::size_t{0}, depth / 2, depth - 1}) {
            auto bad = close;
            bad[wrong] = bad[wrong] == ']' ? '}' : ']';
            EXPECT_EQ(refusal("{\"a\":" + open + "1" + bad + "}"), "payload is not valid JSON")
                << "depth " << depth << ", wrong closer " << wrong;
        }
    }
}
