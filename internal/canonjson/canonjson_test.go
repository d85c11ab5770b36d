package canonjson

import (
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"testing"
)

func TestStringMapMatchesMarshal(t *testing.T) {
	for _, m := range []map[string]string{
		{"email": " Jane@EU.Example.co.uk", "domain": "", "country": "Germany", "phone": "030 2000001"},
		{"phone": "(415) 555-2671"}, {"country": "Côte d'Ivoire"}, {"email": `"a"@b.c`}, {"email": `a\b@c.d`},
		{"email": "<a@b.c>"}, {"domain": "a&b"}, {"email": "a\tb"}, {"email": "a\x7fb"}, {"email": "\xff"},
		{"email": "a\u2028b"}, {"": ""}, {"b": "1", "a": "2", "c": "3"}, {}, nil, many(16), many(17),
	} {
		want, _ := json.Marshal(m)
		got, ok := StringMap(m)
		if !ok {
			continue
		}
		if got != string(want) {
			t.Errorf("StringMap(%q) = %s; json.Marshal %s", m, got, want)
		}
	}
	if _, ok := StringMap(map[string]string{"a": "b", "c": "d"}); !ok {
		t.Error("StringMap refused a plain map")
	}
}

func many(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[string(rune('a'+i))] = "v"
	}
	return m
}

func TestMapMatchesMarshal(t *testing.T) {
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 12, 0.1, 1.5e-7, 1e-6, 9.99e-7, 1e20, 1e21, 123456789012345678901234.0,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -3.25e-9, 1e-10, 2.5e100, 1 / 3.0}
	ms := []map[string]any{
		{"plan": "pro", "seats": 12.0}, {"source": "webinar", "campaign": "q1-launch"}, {"a": nil, "b": true, "c": false},
		{"version": int64(3)}, {"x": []any{1.0}}, {"x": map[string]any{}}, {"x": "é"}, {"x<": "y"}, {"x": math.Inf(1)},
		{"x": math.NaN()}, {"x": float32(1.5)}, {"x": 3}, {}, nil,
	}
	for _, f := range floats {
		ms = append(ms, map[string]any{"f": f}, map[string]any{"f": -f})
	}
	for _, m := range ms {
		want, err := json.Marshal(m)
		got, ok := Map(m)
		if !ok {
			continue
		}
		if err != nil || got != string(want) {
			t.Errorf("Map(%v) = %s; json.Marshal %s, %v", m, got, want, err)
		}
		if !RoundTrips(m) {
			t.Errorf("Map wrote %v but RoundTrips refuses it", m)
		}
	}
	if _, ok := Map(map[string]any{"plan": "pro", "seats": 12.0, "ok": true, "n": nil}); !ok {
		t.Error("Map refused a plain map")
	}
}

func TestRoundTrips(t *testing.T) {
	for _, m := range []map[string]any{
		{"plan": "pro", "seats": 12.0, "ok": true, "n": nil, "z": math.Copysign(0, -1), "tiny": 5e-324},
		{"version": int64(3)}, {"x": 3}, {"x": "é"}, {"x": "a\u2028b"}, {"x": "\xff"}, {"é": "x"}, {"x": []any{}},
		{"x": float32(0.1)}, {},
	} {
		b, err := json.Marshal(m)
		var back map[string]any
		if err == nil {
			err = json.Unmarshal(b, &back)
		}
		if len(m) == 0 {
			back = map[string]any{}
		}
		same := err == nil && reflect.DeepEqual(back, maps.Clone(m)) && signsEqual(back, m)
		if RoundTrips(m) && !same {
			t.Errorf("RoundTrips(%v) but the round trip gives %v (%v)", m, back, err)
		}
	}
}

func signsEqual(a, b map[string]any) bool {
	for k, v := range a {
		if f, ok := v.(float64); ok && math.Signbit(f) != math.Signbit(b[k].(float64)) {
			return false
		}
	}
	return true
}
