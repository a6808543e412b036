package api

import (
	"context"
	"sync"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// The scoring engine caches what it derives from its view (exposure of
// every node, the facts and scores of every finding), so it is built once
// per store version and shared by every request that sees that version.
// It keeps its own view open for as long as it is current and in use.

type engineEntry struct {
	e       *scoring.Engine
	view    graph.View
	version uint64
	built   time.Time
	refs    int
	retired bool
}

type engineCache struct {
	st      *Versioned
	profile scoring.Profile
	maxAge  time.Duration
	mu      sync.Mutex
	cur     *engineEntry
	build   sync.Mutex
}

func newEngineCache(st *Versioned, p scoring.Profile) *engineCache {
	c := &engineCache{st: st, profile: p}
	if st.shared {
		c.maxAge = 5 * time.Second
	}
	return c
}

// acquire returns the current engine for version, taking a reference.
func (c *engineCache) acquire(version uint64) *engineEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	en := c.cur
	if en == nil || en.version != version || (c.maxAge > 0 && time.Since(en.built) > c.maxAge) {
		return nil
	}
	en.refs++
	return en
}

func (c *engineCache) release(en *engineEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	en.refs--
	if en.retired && en.refs == 0 {
		en.view.Close()
	}
}

func (c *engineCache) install(en *engineEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.cur
	c.cur = en
	if old != nil {
		old.retired = true
		if old.refs == 0 {
			old.view.Close()
		}
	}
}

// Close releases the engine's view.
func (c *engineCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil {
		c.cur.retired = true
		if c.cur.refs == 0 {
			c.cur.view.Close()
		}
		c.cur = nil
	}
}

// get returns the engine for the request's snapshot.
func (c *engineCache) get(ctx context.Context, rs *requestState) (*scoring.Engine, error) {
	if !rs.versionOK {
		return scoring.New(rs.view, c.profile), nil
	}
	if en := c.acquire(rs.version); en != nil {
		rs.onDone(func() { c.release(en) })
		return en.e, nil
	}
	c.build.Lock()
	defer c.build.Unlock()
	if en := c.acquire(rs.version); en != nil {
		rs.onDone(func() { c.release(en) })
		return en.e, nil
	}
	v, ver, ok, err := c.st.ReadVersion(ctx)
	if err != nil {
		return nil, err
	}
	if !ok || ver != rs.version {
		// The store moved on since this request's snapshot: score the
		// request's own view, uncached.
		v.Close()
		return scoring.New(rs.view, c.profile), nil
	}
	en := &engineEntry{e: scoring.New(v, c.profile), view: v, version: ver, built: time.Now(), refs: 1}
	c.install(en)
	rs.onDone(func() { c.release(en) })
	return en.e, nil
}

// analysis is the scoring engine as the resolvers use it.
type analysis struct{ e *scoring.Engine }

func (r *Resolver) engine(ctx context.Context) (*analysis, error) {
	rs := state(ctx)
	if rs == nil {
		return nil, errInternal("no view for this request")
	}
	rs.engOnce.Do(func() {
		e, err := r.engines.get(ctx, rs)
		rs.eng, rs.engErr = &analysis{e}, err
	})
	return rs.eng, rs.engErr
}

// riskOf is a node's risk: a finding's own score, or the highest risk of
// the open findings on or under any other node. Nil when nothing scores.
func (a *analysis) riskOf(ctx context.Context, n graph.Node) (*float64, error) {
	var risk float64
	if n.Kind == graph.Finding {
		s, err := a.e.ScoreFinding(ctx, n.ID)
		if err != nil {
			if isNotFound(err) {
				return nil, nil
			}
			return nil, err
		}
		risk = s.Risk
	} else {
		var err error
		if risk, err = a.e.RiskOfNode(ctx, n.ID); err != nil {
			return nil, err
		}
		if risk == 0 {
			return nil, nil
		}
	}
	return &risk, nil
}

func (a *analysis) reachableData(ctx context.Context, finding graph.Node) ([]graph.DataClass, error) {
	s, err := a.e.ScoreFinding(ctx, finding.ID)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return s.ReachableData, nil
}
