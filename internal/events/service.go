package events

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// DefaultReload is how often the Service re-reads the subscription file and the files it names.
// ConfigMap and Secret volumes are updated by swapping a symlink, which inode watches miss, so the
// files are simply re-read (they are small) and a subscription restarted when its Fingerprint changes.
const DefaultReload = 10 * time.Second

// Service runs one Deliverer per subscription of the subscription file, and follows the file's
// changes. It is a manager Runnable that runs on the elected leader only: one replica delivers.
type Service struct {
	path   string
	feed   Feed
	leads  LeadReader
	o      Options
	read   ReadFileFunc
	reload time.Duration
}

// NewService returns the Service of the subscription file at path. read defaults to os.ReadFile and
// reload to DefaultReload.
func NewService(path string, feed Feed, leads LeadReader, o Options, read ReadFileFunc, reload time.Duration) *Service {
	if read == nil {
		read = os.ReadFile
	}
	if reload <= 0 {
		reload = DefaultReload
	}
	return &Service{path: path, feed: feed, leads: leads, o: o.withDefaults(), read: read, reload: reload}
}

// NeedLeaderElection: deliveries follow one shared cursor per subscription, so only the leader sends.
func (s *Service) NeedLeaderElection() bool { return true }

// Load reads and resolves the subscription file; every problem names its field path and file, never
// a secret or a URL.
func (s *Service) Load() ([]Subscription, error) {
	subs, _, err := s.load()
	return subs, err
}

// load also returns the names the file declares (nil when the file itself is unusable), resolved or not.
func (s *Service) load() ([]Subscription, map[string]bool, error) {
	raw, err := s.read(s.path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the event subscription file %s: %s", s.path, fileProblem(err))
	}
	f, err := Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("event subscription file %s: %w", s.path, err)
	}
	declared := map[string]bool{}
	for _, sub := range f.Subscriptions {
		declared[sub.Name] = true
	}
	subs, err := f.Resolve(s.read)
	if err != nil {
		return subs, declared, fmt.Errorf("event subscription file %s: %w", s.path, err)
	}
	return subs, declared, nil
}

type running struct {
	fingerprint string
	cancel      context.CancelFunc
	done        chan struct{}
}

// Start runs the subscriptions until ctx ends. A subscription whose files cannot be read keeps its
// last good configuration; one removed from the file stops.
func (s *Service) Start(ctx context.Context) error {
	log := s.o.Log.WithName("events")
	subs := map[string]*running{}
	var wg sync.WaitGroup
	stop := func(name string) {
		r := subs[name]
		r.cancel()
		<-r.done
		delete(subs, name)
	}
	lastProblem := ""
	apply := func() {
		loaded, declared, err := s.load()
		problem := ""
		if err != nil {
			problem = err.Error()
		}
		if problem != lastProblem {
			if problem != "" {
				log.Info("the event subscriptions have problems; affected subscriptions keep their last good configuration", "problem", problem)
			} else if lastProblem != "" {
				log.Info("the event subscription file is valid again")
			}
			lastProblem = problem
		}
		if problem != "" {
			s.o.Metrics.ConfigErrors.Set(1)
		} else {
			s.o.Metrics.ConfigErrors.Set(0)
		}
		if declared == nil {
			return // the file itself is unreadable or invalid: keep everything as it runs
		}
		for _, sub := range loaded {
			fp := sub.Fingerprint()
			if r, ok := subs[sub.Name]; ok {
				if r.fingerprint == fp {
					continue
				}
				stop(sub.Name)
				log.Info("event subscription changed; restarting its delivery", "subscription", sub.Name)
			}
			rctx, cancel := context.WithCancel(ctx)
			r := &running{fingerprint: fp, cancel: cancel, done: make(chan struct{})}
			subs[sub.Name] = r
			d := NewDeliverer(sub, s.feed, s.leads, s.o)
			wg.Go(func() {
				defer close(r.done)
				_ = d.Run(rctx)
			})
		}
		// A subscription whose files failed to resolve is still declared: it keeps running as it was.
		for name := range subs {
			if !declared[name] {
				stop(name)
				s.o.Metrics.forget(name)
				log.Info("event subscription removed; its delivery stopped", "subscription", name)
			}
		}
	}
	apply()
	t := time.NewTicker(s.reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			for name := range subs {
				subs[name].cancel()
			}
			wg.Wait()
			return nil
		case <-t.C:
			apply()
		}
	}
}
