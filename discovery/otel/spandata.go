package otel

import (
	"strconv"
	"strings"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Attribute slots: the span attributes the agent reads, current and older
// semantic-convention names side by side. Everything else is ignored.
const (
	aHTTPRequestMethod = iota
	aHTTPMethod
	aHTTPRoute
	aRPCSystemName
	aRPCSystem
	aRPCService
	aRPCMethod
	aDBSystemName
	aDBSystem
	aDBNamespace
	aDBName
	aDBCollectionName
	aDBSQLTable
	aDBMongoCollection
	aDBCassandraTable
	aDBOperationName
	aDBOperation
	aDBQueryText
	aDBStatement
	aPeerService
	aServerAddress
	aNetPeerName
	aNetSockPeerName
	aURLFull
	aHTTPURL
	aHTTPResponseStatusCode
	aHTTPStatusCode
	aMessagingSystem
	aMessagingDestinationName
	aMessagingDestination
	aMessagingOperationType
	aMessagingOperation
	nAttr
)

var attrSlot = map[string]int{
	"http.request.method": aHTTPRequestMethod, "http.method": aHTTPMethod, "http.route": aHTTPRoute,
	"rpc.system.name": aRPCSystemName, "rpc.system": aRPCSystem, "rpc.service": aRPCService, "rpc.method": aRPCMethod,
	"db.system.name": aDBSystemName, "db.system": aDBSystem, "db.namespace": aDBNamespace, "db.name": aDBName,
	"db.collection.name": aDBCollectionName, "db.sql.table": aDBSQLTable, "db.mongodb.collection": aDBMongoCollection,
	"db.cassandra.table": aDBCassandraTable, "db.operation.name": aDBOperationName, "db.operation": aDBOperation,
	"db.query.text": aDBQueryText, "db.statement": aDBStatement, "peer.service": aPeerService,
	"server.address": aServerAddress, "net.peer.name": aNetPeerName, "net.sock.peer.name": aNetSockPeerName,
	"url.full": aURLFull, "http.url": aHTTPURL,
	"http.response.status_code": aHTTPResponseStatusCode, "http.status_code": aHTTPStatusCode,
	"messaging.system": aMessagingSystem, "messaging.destination.name": aMessagingDestinationName,
	"messaging.destination": aMessagingDestination, "messaging.operation.type": aMessagingOperationType,
	"messaging.operation": aMessagingOperation,
}

// attrVal is one attribute value: the string form (b) or an integer.
type attrVal struct {
	b     []byte
	i     int64
	isInt bool
	set   bool
}

// spanData is the part of a span the agent reads, filled by the protobuf
// wire parser (slices into the input, no allocation) or from a decoded
// tracepb.Span (OTLP/JSON).
type spanData struct {
	traceID, spanID, parentID []byte
	kind                      int8
	start, end                int64
	status                    int32
	attrs                     [nAttr]attrVal
	nattrs                    int // how many slots are set
}

func (sd *spanData) reset() {
	*sd = spanData{}
}

func (sd *spanData) setAttr(slot int, v attrVal) {
	if sd.attrs[slot].set {
		return // the first occurrence wins, as in attribute maps
	}
	v.set = true
	sd.attrs[slot] = v
	sd.nattrs++
}

// str returns the first set string among slots (integers in decimal).
func (sd *spanData) str(slots ...int) []byte {
	for _, s := range slots {
		a := &sd.attrs[s]
		if !a.set {
			continue
		}
		if a.isInt {
			return strconv.AppendInt(nil, a.i, 10)
		}
		if b := trimSpace(a.b); len(b) > 0 {
			return b
		}
	}
	return nil
}

// int returns the first set integer among slots (strings are parsed).
func (sd *spanData) int(slots ...int) int64 {
	for _, s := range slots {
		a := &sd.attrs[s]
		if !a.set {
			continue
		}
		if a.isInt {
			return a.i
		}
		if n, err := strconv.ParseInt(string(trimSpace(a.b)), 10, 64); err == nil {
			return n
		}
	}
	return 0
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

// fromSpan fills sd from a decoded span.
func (sd *spanData) fromSpan(sp *tracepb.Span) {
	sd.reset()
	sd.traceID, sd.spanID, sd.parentID = sp.GetTraceId(), sp.GetSpanId(), sp.GetParentSpanId()
	sd.kind = int8(sp.GetKind())
	sd.start, sd.end = int64(sp.GetStartTimeUnixNano()), int64(sp.GetEndTimeUnixNano())
	sd.status = int32(sp.GetStatus().GetCode())
	for _, kv := range sp.GetAttributes() {
		slot, ok := attrSlot[kv.GetKey()]
		if !ok {
			continue
		}
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			sd.setAttr(slot, attrVal{b: []byte(v.StringValue)})
		case *commonpb.AnyValue_IntValue:
			sd.setAttr(slot, attrVal{i: v.IntValue, isInt: true})
		}
	}
}

// readInfo extracts the attributes that matter; ok is false when none do.
func (o *Observer) readInfo(sd *spanData) (in info, ok bool) {
	if sd.nattrs == 0 {
		return in, false
	}
	if m := sd.str(aHTTPRequestMethod, aHTTPMethod); m != nil {
		if s := o.caseStr(m, true); s != "_OTHER" {
			in.method = s
		}
	}
	in.route = o.bstr(sd.str(aHTTPRoute))
	in.rpcSystem = o.bstr(sd.str(aRPCSystemName, aRPCSystem))
	in.rpcService = o.bstr(sd.str(aRPCService))
	in.rpcMethod = o.bstr(sd.str(aRPCMethod))
	if s := sd.str(aDBSystemName, aDBSystem); s != nil {
		in.dbSystem = o.caseStr(s, false)
		in.dbNamespace = o.bstr(sd.str(aDBNamespace, aDBName))
		in.dbTable = o.bstr(sd.str(aDBCollectionName, aDBSQLTable, aDBMongoCollection, aDBCassandraTable))
		in.dbOp = dbOperation(sd.str(aDBOperationName, aDBOperation))
		if in.dbOp == "" {
			in.dbOp = dbOperation(sd.str(aDBQueryText, aDBStatement))
		}
	}
	if s := sd.str(aMessagingSystem); s != nil {
		in.msgSystem = o.caseStr(s, false)
		in.msgDest = o.bstr(sd.str(aMessagingDestinationName, aMessagingDestination))
		switch o.caseStr(sd.str(aMessagingOperationType, aMessagingOperation), false) {
		case "receive", "process", "deliver":
			in.msgOp = "READ"
		case "publish", "send", "create":
			in.msgOp = "WRITE"
		}
	}
	in.peer = o.bstr(sd.str(aPeerService))
	if h := sd.str(aServerAddress, aNetPeerName, aNetSockPeerName); h != nil {
		in.host = o.str(stripPort(string(h)))
	} else if u := sd.str(aURLFull, aHTTPURL); u != nil {
		in.host = o.str(hostOf(string(u)))
	}
	return in, in != (info{})
}

// caseStr interns b upper- or lower-cased, allocating only for a new value.
func (o *Observer) caseStr(b []byte, upper bool) string {
	for _, c := range b {
		if (upper && 'a' <= c && c <= 'z') || (!upper && 'A' <= c && c <= 'Z') {
			if upper {
				return o.str(strings.ToUpper(string(b)))
			}
			return o.str(strings.ToLower(string(b)))
		}
	}
	return o.bstr(b)
}

// bstr interns b (no allocation when already seen).
func (o *Observer) bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if v, ok := o.intern[string(b)]; ok {
		return v
	}
	s := string(b)
	if !utf8.ValidString(s) { // protobuf input is not checked on the way in
		v := strings.ToValidUTF8(s, "\uFFFD")
		o.intern[s] = v
		return v
	}
	o.intern[s] = s
	return s
}
