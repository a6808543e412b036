package awsiam

import (
	"slices"
	"testing"
)

func TestReach(t *testing.T) {
	sts, err := ParseJSON(`{"Statement": [
	  {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::reports-*/*"},
	  {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:eu-west-1:1:table/orders"},
	  {"Effect": "Deny", "Action": "*", "Resource": "*"},
	  {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
	]}`)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := Reach(sts[:2], Target{Service: "s3", Names: []string{"reports-2024"}})
	if !ok || !slices.Equal(g.Actions, []string{"s3:GetObject"}) || g.Wildcard != true {
		t.Errorf("reports bucket: %+v %v", g, ok)
	}
	if _, ok := Reach(sts[:2], Target{Service: "s3", Names: []string{"payroll"}}); ok {
		t.Error("payroll reached by reports-*")
	}
	if g, ok := Reach(sts[:2], Target{Service: "dynamodb", Names: []string{"orders"}}); !ok || g.Wildcard {
		t.Errorf("orders table: %+v %v", g, ok)
	}
	if _, ok := Reach(sts[:2], Target{Service: "dynamodb", Names: []string{"orders-archive"}}); ok {
		t.Error("orders-archive reached by table/orders")
	}
	// Deny statements are not grants; NotAction iam:* grants everything else.
	if g, ok := Reach(sts[2:], Target{Service: "rds", Names: []string{"db"}}); !ok || !g.Wildcard {
		t.Errorf("NotAction: %+v %v", g, ok)
	}
	if _, ok := Reach(sts[2:], Target{Service: "iam", Names: []string{"x"}}); ok {
		t.Error("NotAction iam:* reaches iam")
	}
	if r, w := Access([]string{"dynamodb:GetItem", "dynamodb:Query"}); !r || w {
		t.Errorf("Access(read) = %v %v", r, w)
	}
	if r, w := Access([]string{"s3:*"}); !r || !w {
		t.Errorf("Access(s3:*) = %v %v", r, w)
	}
}

func TestPublicPrincipal(t *testing.T) {
	open, _ := ParseJSON(`{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "es:*"}}`)
	ip, _ := ParseJSON(`{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "es:*", "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}}]}`)
	acct, _ := ParseJSON(`{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:*"}]}`)
	if !PublicPrincipal(open) || PublicPrincipal(ip) || PublicPrincipal(acct) {
		t.Errorf("open %v ip-restricted %v account %v", PublicPrincipal(open), PublicPrincipal(ip), PublicPrincipal(acct))
	}
}

func TestHasAWSKey(t *testing.T) {
	for s, want := range map[string]bool{
		"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMAAA\n": true,
		"AKIAIOSFODNN7EXAMPL":                             false,
		"XAKIAIOSFODNN7EXAMAAA":                           false,
		"key ASIAIOSFODNN7EXAMAAA.":                       true,
	} {
		if HasAWSKey(s) != want {
			t.Errorf("HasAWSKey(%q) = %v", s, !want)
		}
	}
}

// TestAccessCaseAndLeadingWildcard: action names are case-insensitive, and
// a wildcard before the verb ("s3:*Object") reads and writes.
func TestAccessCaseAndLeadingWildcard(t *testing.T) {
	for _, tc := range []struct {
		actions     []string
		read, write bool
	}{
		{[]string{"s3:getobject"}, true, false},
		{[]string{"DynamoDB:PUTITEM"}, false, true},
		{[]string{"s3:*Object"}, true, true},
		{[]string{"s3:Get*"}, true, false},
	} {
		if r, w := Access(tc.actions); r != tc.read || w != tc.write {
			t.Errorf("Access(%v) = %v %v, want %v %v", tc.actions, r, w, tc.read, tc.write)
		}
	}
}
