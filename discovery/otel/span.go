// Package otel is the runtime-traces discovery agent: it reads OpenTelemetry
// trace exports (OTLP/JSON files, one request per document or per line, and
// OTLP/protobuf) and turns what services really did into graph elements:
//
//   - every resource's service.name becomes a Service (graph.ServiceID(env,
//     name), the id the artifact agents give the same workload);
//   - a span whose parent span belongs to another service is one call: a
//     CALLS edge caller → callee with call and error counts;
//   - server spans with http.route (and a method) or rpc.service/rpc.method
//     become API nodes the service EXPOSES;
//   - spans with db.system become READS or WRITES edges to a DataStore named
//     like the artifact agents name it (the host's first label, else the
//     database name, else the system);
//   - client spans nobody in the traces answered become CALLS to the
//     service named by peer.service or by an in-cluster host, or to a
//     ThirdParty node for a host outside the estate.
//
// Both the current semantic-convention attribute names and the older ones
// are read (http.request.method/http.method, url.full/http.url,
// server.address/net.peer.name, db.namespace/db.name,
// db.collection.name/db.sql.table, db.system.name/db.system, …).
//
// Files are streamed: a JSON file is walked token by token and each span is
// decoded on its own, a protobuf file one ResourceSpans at a time, so a
// million-span export is never held as a JSON tree. What is kept per span is
// a small fixed record, enough to join children to parents across files.
package otel

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

// AgentName is the agent's name in sources and the scope source of its
// batches.
const AgentName = "otel"

// Span kinds as in OTLP.
const (
	kindServer   = 2
	kindClient   = 3
	kindProducer = 4
	kindConsumer = 5
	statusError  = 2 // Status_STATUS_CODE_ERROR
	statusUnset  = 0
)

// rec is what is kept of one span: its identity, its parent, who emitted
// it and when, and (in info) the attributes that matter, when any do.
type rec struct {
	trace      [16]byte
	id, parent [8]byte
	svc        int32 // index into Observer.services
	info       int32 // index into part.infos, -1 when none
	start, end int64 // unix nanoseconds
	kind       int8
	err        bool
	hasParent  bool
}

// info holds the attributes of a span that make a node or an edge.
type info struct {
	method, route                    string // HTTP server
	rpcSystem, rpcService, rpcMethod string
	dbSystem, dbNamespace, dbTable   string
	dbOp                             string // READ or WRITE, "" when unknown
	msgSystem, msgDest, msgOp        string // messaging (Kafka, RabbitMQ, SQS, …)
	host                             string // the remote host a client span talked to
	peer                             string // peer.service
}

// resourceInfo is what a resource says about the service emitting spans.
type resourceInfo struct {
	service  string
	env      string
	language string
}

func attrString(kv []*commonpb.KeyValue, keys ...string) string {
	for _, k := range keys {
		for _, a := range kv {
			if a.GetKey() != k {
				continue
			}
			switch v := a.GetValue().GetValue().(type) {
			case *commonpb.AnyValue_StringValue:
				if s := strings.TrimSpace(v.StringValue); s != "" {
					return s
				}
			case *commonpb.AnyValue_IntValue:
				return fmt.Sprint(v.IntValue)
			}
		}
	}
	return ""
}

func readResource(r *resourcepb.Resource, env string) resourceInfo {
	kv := r.GetAttributes()
	ri := resourceInfo{
		service:  attrString(kv, "service.name"),
		language: attrString(kv, "telemetry.sdk.language"),
		env:      env,
	}
	if ri.env == "" {
		ri.env = attrString(kv, "deployment.environment.name", "deployment.environment")
	}
	return ri
}

// spanID decodes a trace or span id. OTLP/JSON writes ids as hex, which
// protojson (expecting base64 for bytes fields) decodes without complaint
// into 3/4 of the hex length: 32 hex digits → 24 bytes, 16 → 12. Those
// lengths carry no padding bits, so re-encoding gives back the exact hex
// text. Protobuf input has the raw 16 or 8 bytes.
func spanID(b []byte, n int, field string) ([]byte, error) {
	switch len(b) {
	case 0, n:
		return b, nil
	case n * 3 / 2:
		h := base64.StdEncoding.EncodeToString(b)
		out, err := hex.DecodeString(h)
		if err == nil && len(out) == n {
			return out, nil
		}
		return nil, fmt.Errorf("%s %q: want %d hex digits", field, h, 2*n)
	}
	return nil, fmt.Errorf("%s: want %d hex digits (%d bytes), found %d bytes", field, 2*n, n, len(b))
}

// isZero reports whether an id is all zero bytes (OTLP's "no parent").
func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readOps are the leading keywords of statements and operation names that
// only read; writeOps those that change data. Anything else is unknown.
var readOps = map[string]bool{
	"SELECT": true, "GET": true, "MGET": true, "HGET": true, "HGETALL": true, "FIND": true, "FINDONE": true,
	"AGGREGATE": true, "COUNT": true, "SCAN": true, "QUERY": true, "GETITEM": true, "BATCHGETITEM": true,
	"SEARCH": true, "EXISTS": true, "KEYS": true, "LRANGE": true, "SMEMBERS": true, "ZRANGE": true,
	"DESCRIBE": true, "SHOW": true, "EXPLAIN": true, "READ": true, "GETOBJECT": true, "LISTOBJECTS": true,
	"LISTOBJECTSV2": true, "HEADOBJECT": true, "RECEIVEMESSAGE": true, "WITH": true,
}

var writeOps = map[string]bool{
	"INSERT": true, "UPDATE": true, "DELETE": true, "UPSERT": true, "MERGE": true, "REPLACE": true,
	"SET": true, "SETEX": true, "MSET": true, "HSET": true, "DEL": true, "INCR": true, "DECR": true,
	"EXPIRE": true, "LPUSH": true, "RPUSH": true, "SADD": true, "ZADD": true, "PUBLISH": true,
	"INSERTONE": true, "INSERTMANY": true, "UPDATEONE": true, "UPDATEMANY": true, "DELETEONE": true,
	"DELETEMANY": true, "FINDANDMODIFY": true, "FINDONEANDUPDATE": true, "PUTITEM": true,
	"UPDATEITEM": true, "DELETEITEM": true, "BATCHWRITEITEM": true, "PUTOBJECT": true,
	"DELETEOBJECT": true, "SENDMESSAGE": true, "CREATE": true, "DROP": true, "ALTER": true,
	"TRUNCATE": true, "COPY": true, "WRITE": true,
}

// dbOperation classifies a database operation name or statement as READ or
// WRITE by its first keyword.
func dbOperation(op []byte) string {
	op = trimSpace(op)
	for i, c := range op {
		if c == ' ' || c == '\t' || c == '\n' || c == '(' || c == ';' {
			op = op[:i]
			break
		}
	}
	if len(op) == 0 || len(op) > 20 {
		return ""
	}
	var up [20]byte
	for i, c := range op {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		up[i] = c
	}
	switch w := up[:len(op)]; {
	case readOps[string(w)]:
		return "READ"
	case writeOps[string(w)]:
		return "WRITE"
	}
	return ""
}

// hostOf returns the host of a URL, without port, lower-cased.
func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	return stripPort(rest)
}

func stripPort(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		return h[:i]
	}
	return h
}
