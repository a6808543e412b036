package k8s

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// storePorts are the well-known ports of data stores, with the words that
// name their engine.
var storePorts = map[int32]struct {
	engine string
	words  []string
}{
	5432:  {"postgresql", []string{"postgres", "psql", "pgsql"}},
	3306:  {"mysql", []string{"mysql", "maria"}},
	27017: {"mongodb", []string{"mongo"}},
	6379:  {"redis", []string{"redis", "valkey", "keydb"}},
	11211: {"memcached", []string{"memcache"}},
	5672:  {"rabbitmq", []string{"rabbit", "amqp"}},
	9092:  {"kafka", []string{"kafka", "redpanda"}},
	9042:  {"cassandra", []string{"cassandra", "scylla"}},
	9200:  {"elasticsearch", []string{"elastic", "opensearch"}},
}

// engineOfPorts recognises a data store whose image name does not end in
// its engine (endpoint.EngineOfImage reads bookinfo-mongodb already) but
// whose workload, container or port does: the container listens on an
// engine's well-known port and the port's name, the image or the
// workload's name says the engine. The port alone is not enough:
// an application may listen on 9200 or 6379 for its own reasons.
func engineOfPorts(name string, ct corev1.Container) string {
	img := strings.ToLower(ct.Image)
	if i := strings.LastIndexByte(img, '/'); i >= 0 {
		img = img[i+1:]
	}
	for _, p := range ct.Ports {
		sp, ok := storePorts[p.ContainerPort]
		if !ok {
			continue
		}
		for _, w := range sp.words {
			for _, s := range []string{strings.ToLower(p.Name), img, strings.ToLower(name), strings.ToLower(ct.Name)} {
				if strings.Contains(s, w) {
					return sp.engine
				}
			}
		}
	}
	return ""
}
