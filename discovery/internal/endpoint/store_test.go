package endpoint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestEngineOfImage(t *testing.T) {
	for image, want := range map[string]string{
		"postgres:16":                                   "postgresql",
		"docker.io/library/redis@sha256:abc":            "redis",
		"docker.io/istio/examples-bookinfo-mongodb:1.2": "mongodb",
		"istio/examples-bookinfo-mysqldb:1.20":          "mysql",
		"registry.example/orders-postgres-db:3":         "postgresql",
		"weaveworksdemos/user-db:0.3.0":                 "unknown",
		"catalogue_database":                            "unknown",
		"sentry-kafka":                                  "kafka",
		"cockroachdb/cockroach:v23":                     "cockroachdb",
		"oliver006/redis_exporter":                      "",
		"provectuslabs/kafka-ui":                        "",
		"payments-api:3.2.0":                            "",
		"db":                                            "",
	} {
		if got := EngineOfImage(image); got != want {
			t.Errorf("EngineOfImage(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestParseEmbeddedAndOddHosts(t *testing.T) {
	for _, c := range []struct {
		name, value string
		host        string // "" = no endpoint
	}{
		{"SPRING_DATASOURCE_URL", "jdbc:h2:mem:testdb", ""},
		{"SPRING_DATASOURCE_URL", "jdbc:h2:file:./data/app;AUTO_SERVER=TRUE", ""},
		{"DB_URL", "jdbc:hsqldb:mem:x", ""},
		{"DB_URL", "jdbc:derby:memory:demo;create=true", ""},
		{"DB_URL", "jdbc:sqlite:/var/lib/app.db", ""},
		{"DB_URL", "jdbc:h2:tcp://h2-server:9092/~/test", "h2-server"},
		{"DB_URL", "jdbc:postgresql://orders-db:5432/orders", "orders-db"},
		{"CACHE_HOST", "[fd00::12]:6379", "fd00::12"},
		{"BROKER_ADDR", "tcp:queue", ""},
		{"DATABASE_DSN", "host=orders-db port=6432 dbname=orders user=app password=s3cret sslmode=require", "orders-db"},
		{"PG_CONN", "host=/var/run/postgresql dbname=orders", ""},
		{"PG_CONN", "host=localhost dbname=orders", ""},
		{"MYSQL_DSN", "app:s3cret@tcp(catalogue-db:3306)/socksdb?parseTime=true", "catalogue-db"},
	} {
		eps := Parse(c.name, c.value)
		switch {
		case c.host == "" && len(eps) > 0:
			t.Errorf("%s=%s: endpoint %+v, want none", c.name, c.value, eps[0])
		case c.host != "" && (len(eps) != 1 || eps[0].Host != c.host):
			t.Errorf("%s=%s: %+v, want host %s", c.name, c.value, eps, c.host)
		}
	}
	// Engines and ports of the keyword and Go MySQL forms.
	if eps := Parse("DATABASE_DSN", "host=orders-db port=6432 dbname=orders"); len(eps) != 1 || eps[0].Engine != "postgresql" || eps[0].Port != 6432 {
		t.Errorf("keyword DSN: %+v", eps)
	}
	if eps := Parse("MYSQL_DSN", "app:pw@tcp(catalogue-db:3306)/socksdb"); len(eps) != 1 || eps[0].Engine != "mysql" || eps[0].Port != 3306 {
		t.Errorf("Go MySQL DSN: %+v", eps)
	}
	if eps := Parse("DB_URL", "jdbc:h2:tcp://h2-server:9092/~/test"); len(eps) != 1 || eps[0].Engine != "h2" {
		t.Errorf("H2 server: %+v", eps)
	}
}

func TestFingerprintKeyed(t *testing.T) {
	SetFingerprintKey([]byte("estate-a"))
	a1, a2 := Fingerprint("hunter2"), Fingerprint("hunter2")
	mac := hmac.New(sha256.New, []byte("estate-a"))
	mac.Write([]byte("hunter2"))
	if a1 != a2 || a1 != FingerprintPrefix+hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("fingerprint under key a: %s, %s", a1, a2)
	}
	SetFingerprintKey([]byte("estate-b"))
	if b := Fingerprint("hunter2"); b == a1 {
		t.Error("two keys give one fingerprint")
	}
	plain := sha256.Sum256([]byte("hunter2"))
	if strings.Contains(a1, hex.EncodeToString(plain[:])) {
		t.Error("the fingerprint is the value's plain sha256")
	}
}
