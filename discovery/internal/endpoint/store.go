package endpoint

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Data-store engines by image name (the last path element without tag):
// a workload running one of these is a database, cache or queue, not a
// service.
var imageEngines = map[string]string{
	"postgres": "postgresql", "postgresql": "postgresql", "postgis": "postgresql", "timescaledb": "postgresql",
	"mysql": "mysql", "mariadb": "mysql", "percona": "mysql", "mysql-server": "mysql",
	"mongo": "mongodb", "mongodb": "mongodb", "mongodb-community-server": "mongodb",
	"redis": "redis", "redis-stack": "redis", "redis-stack-server": "redis", "valkey": "redis", "keydb": "redis",
	"memcached": "memcached",
	"rabbitmq":  "rabbitmq", "kafka": "kafka", "cp-kafka": "kafka", "redpanda": "kafka", "nats": "nats", "activemq": "activemq",
	"elasticsearch": "elasticsearch", "opensearch": "opensearch", "cassandra": "cassandra", "couchdb": "couchdb",
	"neo4j": "neo4j", "cockroach": "cockroachdb", "clickhouse-server": "clickhouse", "influxdb": "influxdb",
	"minio": "s3", "dynamodb-local": "dynamodb", "spanner-emulator": "spanner", "etcd": "etcd", "zookeeper": "zookeeper",
}

// EngineOfImage returns the data-store engine an image runs, or "".
func EngineOfImage(image string) string {
	name := image
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	name = strings.ToLower(name)
	if e, ok := imageEngines[name]; ok {
		return e
	}
	// Images named after their engine ("bookinfo-mongodb", "ratings-mysqldb",
	// "orders-postgres-db") run it; images named after a store ("user-db",
	// "catalogue-db" built on mysql) are stores of an engine the name does
	// not say. Only the last word counts: "redis-exporter" and "kafka-ui"
	// are services.
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' })
	if len(words) < 2 {
		return ""
	}
	last := words[len(words)-1]
	if e, ok := imageEngines[last]; ok {
		return e
	}
	if base, ok := strings.CutSuffix(last, "db"); ok {
		if e, ok := imageEngines[base]; ok {
			return e
		}
	}
	if last == "db" || last == "database" {
		if e, ok := imageEngines[words[len(words)-2]]; ok {
			return e
		}
		return "unknown"
	}
	return ""
}

// Engines by URL scheme.
var schemeEngines = map[string]string{
	"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql",
	"mongodb": "mongodb", "mongodb+srv": "mongodb", "redis": "redis", "rediss": "redis", "memcached": "memcached",
	"amqp": "rabbitmq", "amqps": "rabbitmq", "kafka": "kafka", "nats": "nats", "s3": "s3", "gs": "gcs",
	"sqlserver": "sqlserver", "mssql": "sqlserver", "oracle": "oracle", "cassandra": "cassandra", "neo4j": "neo4j",
	"bolt": "neo4j", "elasticsearch": "elasticsearch", "clickhouse": "clickhouse", "cockroachdb": "cockroachdb",
	"sqlite": "sqlite", "couchbase": "couchbase", "etcd": "etcd", "h2": "h2", "hsqldb": "hsqldb", "derby": "derby",
}

// Engines by a word in the env var name, for bare host:port values.
var nameEngines = []struct{ word, engine string }{
	{"POSTGRES", "postgresql"}, {"PGHOST", "postgresql"}, {"MYSQL", "mysql"}, {"MARIADB", "mysql"}, {"MONGO", "mongodb"},
	{"REDIS", "redis"}, {"MEMCACHE", "memcached"}, {"RABBIT", "rabbitmq"}, {"AMQP", "rabbitmq"}, {"KAFKA", "kafka"},
	{"NATS", "nats"}, {"ELASTIC", "elasticsearch"}, {"OPENSEARCH", "opensearch"}, {"CASSANDRA", "cassandra"},
	{"SPANNER", "spanner"}, {"ALLOYDB", "postgresql"}, {"BUCKET", "s3"}, {"DYNAMO", "dynamodb"},
	{"DATABASE", "database"}, {"DATASOURCE", "database"}, {"DB_", "database"}, {"_DB", "database"}, {"CACHE", "cache"},
	{"QUEUE", "queue"}, {"BROKER", "queue"},
}

// Cloud endpoints that are data stores whatever the variable is called.
var hostEngines = []struct{ suffix, engine string }{
	{".rds.amazonaws.com", "rds"}, {".cache.amazonaws.com", "redis"}, {".kafka.", "kafka"},
	{".s3.amazonaws.com", "s3"}, {".dynamodb.", "dynamodb"}, {".documents.azure.com", "cosmosdb"},
	{".database.windows.net", "sqlserver"}, {".redis.cache.windows.net", "redis"}, {".mongodb.net", "mongodb"},
	{".docdb.amazonaws.com", "mongodb"}, {".es.amazonaws.com", "elasticsearch"},
}

// endpointSuffixes are env var name endings that name something to connect
// to (the issue's *_ADDR, *_URL, *_HOST, *_SERVICE and their relatives).
var endpointSuffixes = []string{"_ADDR", "_ADDRESS", "_URL", "_URI", "_HOST", "_HOSTNAME", "_SERVICE", "_SERVICE_HOST",
	"_ENDPOINT", "_BROKERS", "_SERVERS", "_SERVER", "_DSN", "_BUCKET", "_CONNECTION", "_CONNECTION_STRING", "_CONN"}

// Endpoint is one thing a workload connects to, parsed from an env var.
type Endpoint struct {
	Var    string
	Host   string // lower case, without port
	Port   int64
	Scheme string
	Engine string // data-store engine when it is one
	Bucket bool
}

// Parse reads the endpoints named by env var name=value. It
// returns none for values that are not an address (flags, numbers, paths,
// unresolved $(VARS)).
func Parse(name, value string) []Endpoint {
	uname := strings.ToUpper(name)
	value = strings.TrimSpace(value)
	if value == "" || strings.Contains(value, "$(") || strings.Contains(value, "${") {
		return nil
	}
	named := false
	for _, s := range endpointSuffixes {
		if strings.HasSuffix(uname, s) || uname == strings.TrimPrefix(s, "_") {
			named = true
		}
	}
	if named || strings.Contains(uname, "PG") || strings.Contains(uname, "POSTGRES") || strings.Contains(uname, "DB") || strings.Contains(uname, "DATABASE") {
		if ep, ok := keywordDSN(uname, value); ok {
			return []Endpoint{ep}
		}
	}
	if strings.ContainsAny(value, " \t\n\"'") {
		return nil
	}
	hasScheme := strings.Contains(value, "://") || strings.HasPrefix(strings.ToLower(value), "jdbc:")
	if !named && !hasScheme {
		return nil
	}
	var out []Endpoint
	for _, part := range strings.Split(value, ",") {
		if ep, ok := parseOne(uname, strings.TrimSpace(part)); ok {
			out = append(out, ep)
		}
	}
	return out
}

// keywordDSN reads libpq's keyword form ("host=orders-db port=5432
// dbname=orders user=app"): PostgreSQL's, the only driver that writes it.
// A socket directory or a local host is no store to reach.
func keywordDSN(uname, value string) (Endpoint, bool) {
	if !strings.Contains(value, "host=") {
		return Endpoint{}, false
	}
	kv := map[string]string{}
	for _, f := range strings.Fields(value) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return Endpoint{}, false
		}
		kv[strings.ToLower(k)] = strings.Trim(v, "'")
	}
	host := strings.ToLower(strings.Split(kv["host"], ",")[0])
	if host == "" || strings.HasPrefix(host, "/") || !validHost(host) {
		return Endpoint{}, false
	}
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return Endpoint{}, false
	}
	ep := Endpoint{Var: uname, Host: host, Scheme: "postgresql", Engine: "postgresql", Port: 5432}
	if p := strings.Split(kv["port"], ",")[0]; p != "" {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return Endpoint{}, false
		}
		ep.Port = n
	}
	return ep, true
}

// goMySQLAddr is the address in a Go MySQL driver DSN
// ("user:pass@tcp(orders-db:3306)/orders").
var goMySQLAddr = regexp.MustCompile(`@tcp\(([^)]+)\)`)

func parseOne(uname, v string) (Endpoint, bool) {
	ep := Endpoint{Var: uname}
	if !strings.Contains(v, "://") && strings.Contains(v, "@tcp(") {
		if m := goMySQLAddr.FindStringSubmatch(v); m != nil {
			v = "mysql://" + m[1]
		}
	}
	sub := "" // a JDBC subprotocol given before the URL's own scheme
	low := strings.ToLower(v)
	if strings.HasPrefix(low, "jdbc:") {
		v = v[len("jdbc:"):]
		low = low[len("jdbc:"):]
		// Embedded databases (in memory or a file of the process's own) are
		// no store to connect to; their server modes (jdbc:h2:tcp://…) are.
		for _, p := range []string{"h2:", "hsqldb:", "derby:", "sqlite:"} {
			if strings.HasPrefix(low, p) && !strings.Contains(low, "://") {
				return ep, false
			}
		}
		// jdbc:h2:tcp://host/db, jdbc:mysql:loadbalance://h1,h2/db: the
		// subprotocol names the engine, the rest is the URL.
		if i := strings.Index(low, "://"); i > 0 {
			if j := strings.IndexByte(low[:i], ':'); j > 0 {
				sub = low[:j]
				v, low = v[j+1:], low[j+1:]
			}
		}
		// jdbc:sqlserver://host;databaseName=x and jdbc:oracle:thin:@host:1521/x
		if strings.HasPrefix(low, "oracle:") {
			if i := strings.IndexByte(v, '@'); i >= 0 {
				v = "oracle://" + strings.TrimPrefix(v[i+1:], "//")
				low = strings.ToLower(v)
			}
		}
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = v[:i]
		}
	}
	var hostport string
	if i := strings.Index(v, "://"); i >= 0 {
		ep.Scheme = strings.ToLower(v[:i])
		u, err := url.Parse(v)
		if err != nil {
			// mongodb://a:1,b:2 lists several hosts, which url.Parse refuses.
			rest := v[i+3:]
			if j := strings.IndexAny(rest, "/?"); j >= 0 {
				rest = rest[:j]
			}
			if j := strings.LastIndexByte(rest, '@'); j >= 0 {
				rest = rest[j+1:]
			}
			hostport = strings.Split(rest, ",")[0]
		} else {
			hostport = u.Host
			if ep.Scheme == "s3" || ep.Scheme == "gs" {
				ep.Bucket = true
			}
		}
	} else {
		hostport = v
		if j := strings.IndexAny(hostport, "/?"); j >= 0 {
			// "projects/p/instances/i" is a resource path, not host/path:
			// without a scheme, a host before a slash needs a dot or a port.
			if !strings.ContainsAny(hostport[:j], ".:") {
				return ep, false
			}
			hostport = hostport[:j]
		}
		if j := strings.LastIndexByte(hostport, '@'); j >= 0 {
			hostport = hostport[j+1:]
		}
	}
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	host = strings.ToLower(strings.Trim(host, "[]."))
	if host == "" || !validHost(host) {
		return ep, false
	}
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return ep, false // only an IPv6 address has colons ("h2:mem:x", "tcp:x" are not hosts)
	}
	switch host {
	case "localhost", "127.0.0.1", "0.0.0.0", "::1", "::":
		return ep, false
	}
	if !strings.ContainsAny(host, ".") && ep.Scheme == "" && isNumberOrWord(host) {
		return ep, false
	}
	ep.Host = host
	if port != "" {
		n, err := strconv.ParseInt(port, 10, 64)
		if err != nil {
			return ep, false // "host:name" is no address
		}
		ep.Port = n
	}
	if sub != "" {
		ep.Scheme = sub
	}
	ep.Engine = engineOf(ep)
	return ep, true
}

func validHost(h string) bool {
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':') {
			return false
		}
	}
	return true
}

// isNumberOrWord rejects values like "true", "8080" or "debug" that an env
// var ending in _SERVICE may well hold instead of a host.
func isNumberOrWord(h string) bool {
	if _, err := strconv.Atoi(h); err == nil {
		return true
	}
	switch h {
	case "true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null", "debug", "info":
		return true
	}
	return false
}

// engineOf decides whether an endpoint is a data store, by scheme, by
// cloud host name, then by the env var name.
func engineOf(ep Endpoint) string {
	if e, ok := schemeEngines[ep.Scheme]; ok {
		return e
	}
	if ep.Scheme == "http" || ep.Scheme == "https" || ep.Scheme == "grpc" || ep.Scheme == "ws" || ep.Scheme == "wss" {
		return ""
	}
	for _, he := range hostEngines {
		if strings.Contains(ep.Host, he.suffix) {
			return he.engine
		}
	}
	for _, ne := range nameEngines {
		if strings.Contains(ep.Var, ne.word) {
			return ne.engine
		}
	}
	return ""
}

// StoreName is the data store's name for a host: its first DNS label
// (shop-db.cluster-x.rds.amazonaws.com is shop-db), or the bucket.
func StoreName(host string) string {
	if i := strings.IndexByte(host, '.'); i > 0 {
		return host[:i]
	}
	return host
}

// ClusterLocal reports whether host is an in-cluster or private name
// (never a third party).
func ClusterLocal(host string) bool {
	if !strings.Contains(host, ".") {
		return true
	}
	for _, s := range []string{".svc", ".svc.cluster.local", ".cluster.local", ".local", ".internal", ".localdomain", ".consul"} {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return net.ParseIP(host) != nil
}

// ServiceLabel is the Kubernetes Service name a host refers to:
// cart.shop.svc.cluster.local → cart.
func ServiceLabel(host string) string { return StoreName(host) }

// EngineKind groups engines for the read/write rule.
func EngineKind(engine string) string {
	switch engine {
	case "redis", "memcached", "cache":
		return "cache"
	case "rabbitmq", "kafka", "nats", "activemq", "queue", "sqs", "pubsub":
		return "queue"
	case "s3", "gcs":
		return "bucket"
	}
	return "database"
}

func RDSEngine(ep Endpoint) string {
	switch ep.Scheme {
	case "postgres", "postgresql":
		return "postgresql"
	case "mysql", "mariadb":
		return "mysql"
	}
	switch ep.Port {
	case 5432:
		return "postgresql"
	case 3306:
		return "mysql"
	}
	return "rds"
}

// NamedAfter reports whether store carries service's name stem:
// carts-db/carts, redis-cart/cartservice, orders-db/orders.
func NamedAfter(store, svc string) bool {
	stem := strings.ToLower(svc)
	for _, suf := range []string{"service", "-svc", "-api", "-server", "-app"} {
		stem = strings.TrimSuffix(stem, suf)
	}
	stem = strings.Trim(stem, "-_")
	stem = strings.TrimSuffix(stem, "s")
	if len(stem) < 3 {
		return false
	}
	return strings.Contains(strings.ToLower(store), stem)
}

// Access is the read/write rule for a workload's use of a store, named by
// variable (or property) name: a queue is read and written unless the name
// says consumer (READS only) or producer (WRITES only); a database is read,
// and written too when the workload owns it (owned) and the name does not
// say replica or read-only; caches and buckets are read and written.
func Access(engine, name string, owned bool) (read, write bool) {
	read, write = true, true
	switch EngineKind(engine) {
	case "queue":
		if strings.Contains(name, "CONSUMER") || strings.Contains(name, "SUBSCRI") {
			write = false
		} else if strings.Contains(name, "PRODUCER") || strings.Contains(name, "PUBLISH") {
			read = false
		}
	case "database":
		readOnly := strings.Contains(name, "REPLICA") || strings.Contains(name, "READONLY") || strings.Contains(name, "READ_ONLY") ||
			strings.Contains(name, "_RO_") || strings.HasSuffix(name, "_RO")
		write = owned && !readOnly
	}
	return read, write
}
