package main

import "testing"

func TestFromPseudoVersion(t *testing.T) {
	for _, tc := range []struct{ v, rev, when string }{
		{"v0.0.0-20261202063853-5d42153d8758", "5d42153d8758", "2026-12-02T06:38:53Z"},
		{"v1.2.4-0.20261202063853-5d42153d8758", "5d42153d8758", "2026-12-02T06:38:53Z"},
		{"v1.2.4-rc.1.0.20261202063853-5d42153d8758+incompatible", "5d42153d8758", "2026-12-02T06:38:53Z"},
		{"v0.0.0-20261202063853-5d42153d8758+dirty", "", ""}, // a local build: the VCS stamps say more
		{"v1.2.3", "", ""},
		{"(devel)", "", ""},
		{"v0.0.0-20261399999999-5d42153d8758", "", ""},
	} {
		rev, when := fromPseudoVersion(tc.v)
		if rev != tc.rev || when != tc.when {
			t.Errorf("%s: %q %q, want %q %q", tc.v, rev, when, tc.rev, tc.when)
		}
	}
}
