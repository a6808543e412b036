package endpoint

import "testing"

func TestThirdParty(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.stripe.com/v1":                       "api.stripe.com",
		"wss://stream.Binance.com:9443/ws":                "stream.binance.com",
		"https://abc.execute-api.eu-west-1.amazonaws.com": "",
		"http://10.0.0.4:8080":                            "",
		"http://localhost:3000":                           "",
		"http://orders.prod.svc.cluster.local":            "",
		"https://{{ref Api}}.execute-api":                 "",
		"postgres://db.example.net/app":                   "",
		"not a url":                                       "",
	} {
		got, ok := ThirdParty(in)
		if got != want || ok != (want != "") {
			t.Errorf("ThirdParty(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}
