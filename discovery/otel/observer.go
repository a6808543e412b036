package otel

import (
	"fmt"
	"strings"
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
	// infos are the distinct attribute sets: a million spans share a few
	// thousand (the same route, the same table), so records index them.
	infos   []info
	infoIdx map[info]int32
	intern  map[string]string
	// Spans counts the committed spans; Skipped those left out because
	// their resource named no service.
	Spans, Skipped int
}

// NewObserver returns an empty observer. env, when set, is the environment
// of every service seen (as --env is for artifact discovery); otherwise a
// resource's deployment.environment.name (or the older
// deployment.environment) is used.
func NewObserver(env string) *Observer {
	return &Observer{env: env, svcIdx: map[resourceInfo]int32{}, intern: map[string]string{}, infoIdx: map[info]int32{}}
}

// part is one input being read. Its spans go straight into the
// observer's slices (no copy of a million records on commit); rollback cuts
// them off again when the input turns out broken.
type part struct {
	o              *Observer
	name           string
	nrecs          int // the observer's length when the part began
	spans, skipped int
	warnings       []warning
	more           int // warnings past maxWarnings
}

// warning is a problem in part of an input that was read around; off is
// the byte offset it is at (-1 when unknown).
type warning struct {
	off int64
	msg string
}

func (o *Observer) newPart(name string) *part {
	return &part{o: o, name: name, nrecs: len(o.recs)}
}

// commit keeps the part's spans.
func (p *part) commit() {
	p.o.Spans += p.spans
	p.o.Skipped += p.skipped
}

// rollback drops the part's spans.
func (p *part) rollback() {
	p.o.recs = p.o.recs[:p.nrecs]
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

func (o *Observer) str(s string) string { // interns s
	if s == "" {
		return ""
	}
	if v, ok := o.intern[s]; ok {
		return v
	}
	o.intern[s] = s
	return s
}

// addSpan records sd, emitted by service svc. Its errors do not say where
// the span is; the caller adds that (building the path eagerly for every
// span would cost more than the span).
func (p *part) addSpan(svc int32, sd *spanData) error {
	tid, err := spanID(sd.traceID, 16, "traceId")
	if err != nil {
		return err
	}
	sid, err := spanID(sd.spanID, 8, "spanId")
	if err != nil {
		return err
	}
	pid, err := spanID(sd.parentID, 8, "parentSpanId")
	if err != nil {
		return err
	}
	if len(tid) == 0 || isZero(tid) {
		return fmt.Errorf("traceId is missing (want 32 hex digits)")
	}
	if len(sid) == 0 || isZero(sid) {
		return fmt.Errorf("spanId is missing (want 16 hex digits)")
	}
	o := p.o
	r := rec{svc: svc, info: -1, kind: sd.kind, start: sd.start, end: sd.end}
	if r.end < r.start {
		r.end = r.start
	}
	copy(r.trace[:], tid)
	copy(r.id[:], sid)
	if len(pid) > 0 && !isZero(pid) {
		copy(r.parent[:], pid)
		r.hasParent = true
	}
	r.err = sd.status == statusError
	if in, ok := o.readInfo(sd); ok {
		if !r.err && sd.status == statusUnset && r.kind == kindServer &&
			sd.int(aHTTPResponseStatusCode, aHTTPStatusCode) >= 500 {
			r.err = true
		}
		r.info = o.infoIndex(&in)
	}
	o.recs = append(o.recs, r)
	p.spans++
	return nil
}

func (o *Observer) infoIndex(in *info) int32 {
	if i, ok := o.infoIdx[*in]; ok {
		return i
	}
	i := int32(len(o.infos))
	o.infos = append(o.infos, *in)
	o.infoIdx[*in] = i
	return i
}

// noService records that a resource without service.name had n spans,
// which were skipped.
func (p *part) noService(n int, off int64, path string) {
	p.skipped += n
	if len(p.warnings) < maxWarnings {
		p.warnings = append(p.warnings, warning{off, fmt.Sprintf(
			"%s: resource has no service.name attribute; its %d span(s) were skipped", path, n)})
		return
	}
	p.more++
}

// maxWarnings bounds the warnings listed per input (each costs a rescan of
// the input for its line); the rest are counted.
const maxWarnings = 20
