package otel

import (
	"fmt"
	"strings"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Observer accumulates spans from many inputs and builds the graph elements
// they show. Each input is read into a part first and committed only when
// it was read without error, so a broken file contributes nothing; joins
// (a child span in one file, its parent in another) are made over
// everything committed. An Observer is not safe for concurrent use.
type Observer struct {
	env      string
	services []resourceInfo
	svcIdx   map[resourceInfo]int32
	recs     []rec
	infos    []info
	intern   map[string]string
	// Spans counts the committed spans; Skipped those left out because
	// their resource named no service.
	Spans, Skipped int
}

// NewObserver returns an empty observer. env, when set, is the environment
// of every service seen (as --env is for artifact discovery); otherwise a
// resource's deployment.environment.name (or the older
// deployment.environment) is used.
func NewObserver(env string) *Observer {
	return &Observer{env: env, svcIdx: map[resourceInfo]int32{}, intern: map[string]string{}}
}

// part is one input's spans before they are committed.
type part struct {
	o        *Observer
	name     string
	recs     []rec
	infos    []info
	skipped  int
	warnings []warning
}

// warning is a problem in part of an input that was read around; off is
// the byte offset it is at (-1 when unknown).
type warning struct {
	off int64
	msg string
}

func (o *Observer) newPart(name string) *part { return &part{o: o, name: name} }

// commit adds the part's spans to the observer.
func (p *part) commit() {
	o := p.o
	base := int32(len(o.infos))
	for i := range p.recs {
		if p.recs[i].info >= 0 {
			p.recs[i].info += base
		}
	}
	o.recs = append(o.recs, p.recs...)
	o.infos = append(o.infos, p.infos...)
	o.Spans += len(p.recs)
	o.Skipped += p.skipped
}

// service returns the index of the service of resource ri, adding it.
func (o *Observer) service(ri resourceInfo) int32 {
	key := resourceInfo{service: strings.ToLower(ri.service), env: strings.ToLower(ri.env)}
	if i, ok := o.svcIdx[key]; ok {
		if o.services[i].language == "" {
			o.services[i].language = ri.language
		}
		return i
	}
	i := int32(len(o.services))
	o.services = append(o.services, ri)
	o.svcIdx[key] = i
	return i
}

func (o *Observer) str(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := o.intern[s]; ok {
		return v
	}
	o.intern[s] = s
	return s
}

// addSpan records sp, emitted by service svc. path locates it for errors.
func (p *part) addSpan(svc int32, sp *tracepb.Span, path func() string) error {
	tid, err := spanID(sp.GetTraceId(), 16, "traceId")
	if err != nil {
		return fmt.Errorf("%s: %w", path(), err)
	}
	sid, err := spanID(sp.GetSpanId(), 8, "spanId")
	if err != nil {
		return fmt.Errorf("%s: %w", path(), err)
	}
	pid, err := spanID(sp.GetParentSpanId(), 8, "parentSpanId")
	if err != nil {
		return fmt.Errorf("%s: %w", path(), err)
	}
	if len(tid) == 0 || isZero(tid) {
		return fmt.Errorf("%s: traceId is missing (want 32 hex digits)", path())
	}
	if len(sid) == 0 || isZero(sid) {
		return fmt.Errorf("%s: spanId is missing (want 16 hex digits)", path())
	}
	r := rec{svc: svc, info: -1, kind: int8(sp.GetKind()),
		start: int64(sp.GetStartTimeUnixNano()), end: int64(sp.GetEndTimeUnixNano())}
	if r.end < r.start {
		r.end = r.start
	}
	copy(r.trace[:], tid)
	copy(r.id[:], sid)
	if len(pid) > 0 && !isZero(pid) {
		copy(r.parent[:], pid)
		r.hasParent = true
	}
	r.err = sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR
	if in := readInfo(sp); in != nil {
		if !r.err && sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_UNSET && r.kind == kindServer &&
			attrInt(sp.GetAttributes(), "http.response.status_code", "http.status_code") >= 500 {
			r.err = true
		}
		o := p.o
		in.method, in.route = o.str(in.method), o.str(in.route)
		in.rpcSystem, in.rpcService, in.rpcMethod = o.str(in.rpcSystem), o.str(in.rpcService), o.str(in.rpcMethod)
		in.dbSystem, in.dbNamespace, in.dbTable = o.str(in.dbSystem), o.str(in.dbNamespace), o.str(in.dbTable)
		in.dbOp, in.host, in.peer = o.str(in.dbOp), o.str(in.host), o.str(in.peer)
		r.info = int32(len(p.infos))
		p.infos = append(p.infos, *in)
	}
	p.recs = append(p.recs, r)
	return nil
}

// noService records that a resource without service.name had n spans,
// which were skipped.
func (p *part) noService(n int, off int64, path string) {
	p.skipped += n
	p.warnings = append(p.warnings, warning{off, fmt.Sprintf(
		"%s: resource has no service.name attribute; its %d span(s) were skipped", path, n)})
}
