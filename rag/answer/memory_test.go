package answer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/ragtest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procStatus reads the memory fields of /proc/self/status, in bytes:
// VmRSS (resident), RssAnon (heap and the like, which the kernel cannot
// drop), RssFile (file pages, mapped vectors included) and VmHWM (the peak
// of VmRSS). Nil where there is no /proc.
func procStatus() map[string]int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "RssAnon" && k != "RssFile" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err == nil {
			out[k] = kb << 10
		}
	}
	return out
}

// memoryReport is what the serve-memory helper process measures.
type memoryReport struct {
	Chunks         int
	LoadSeconds    float64
	LoadCPUSeconds float64 // user+sys of the whole process during Load
	// PeakAnon is the largest RssAnon seen, sampled every 5 ms from before
	// Load to after the questions (the kernel keeps no peak of it).
	PeakAnon     int64
	AfterLoad    map[string]int64
	AfterQueries map[string]int64
	Queries      int
	AskP50ms     float64
	AskP95ms     float64
	HeapAlloc    uint64 // after the queries and a collection, the index still held
}

// memoryIndexEnv names an index for TestServeMemoryHelper to load.
const memoryIndexEnv = "VEILLE_MEMORY_INDEX"

// TestServeMemoryHelper is a process that loads the index at
// $VEILLE_MEMORY_INDEX (built with the default local embedder), answers 100
// questions with the extractive Ask, and prints a JSON memoryReport: what a
// bot or a CLI run holds after load and after serving. BenchmarkServeMemory
// runs it; run it alone to time it as a whole process:
//
//	go test -c -o /tmp/answer.test ./rag/answer
//	VEILLE_MEMORY_INDEX=DIR/index.veille /usr/bin/time -v /tmp/answer.test -test.run '^TestServeMemoryHelper$' -test.v
func TestServeMemoryHelper(t *testing.T) {
	path := os.Getenv(memoryIndexEnv)
	if path == "" {
		t.Skip("helper process: set " + memoryIndexEnv)
	}
	done := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var max int64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if a := procStatus()["RssAnon"]; a > max {
				max = a
			}
			select {
			case <-done:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	start, cpu := time.Now(), cpuSeconds()
	ix, err := rag.Load(t.Context(), path, rag.Options{Embedder: ragtest.NewEmbedder(t)})
	if err != nil {
		t.Fatal(err)
	}
	eng := NewEngine(ix, nil, nil)
	rep := memoryReport{Chunks: ix.Chunks(), LoadSeconds: time.Since(start).Seconds(), LoadCPUSeconds: cpuSeconds() - cpu, AfterLoad: procStatus()}
	questions := []string{
		"quelle entreprise a piraté les serveurs", "attaque rançon mairie", "CVE-2024-3400 correctif",
		"qui a revendiqué l'attaque ?", "raquesé topi cuge", "les données des clients ont-elles fuité ?",
		"ransomware hôpital", "fuite de données clients", "serveur attaqué cette semaine", "rançongiciel",
	}
	var lat []time.Duration
	for i := range 100 {
		q := questions[i%len(questions)]
		if i >= len(questions) {
			q += " " + strconv.Itoa(i) // not the same query twice
		}
		start := time.Now()
		if _, err := eng.Ask(t.Context(), q, rag.SearchOptions{}); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		rep.Queries++
	}
	rep.AfterQueries = procStatus()
	close(done)
	rep.PeakAnon = <-peak
	slices.Sort(lat)
	rep.AskP50ms = float64(lat[len(lat)/2].Microseconds()) / 1000
	rep.AskP95ms = float64(lat[len(lat)*95/100].Microseconds()) / 1000
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapAlloc = ms.HeapAlloc
	runtime.KeepAlive(ix)
	b, _ := json.Marshal(rep)
	fmt.Printf("memory-report %s\n", b)
}

// BenchmarkServeMemory saves an index of each size, then measures a fresh
// process that loads it and answers 100 questions (TestServeMemoryHelper):
// resident memory after load and after the questions, anonymous memory
// (what the kernel cannot drop), and the process's peak, per chunk.
// Linux only (it reads /proc/self/status).
func BenchmarkServeMemory(b *testing.B) {
	if procStatus() == nil {
		b.Skip("needs /proc/self/status")
	}
	for _, n := range benchSizes(10000, 100000) {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			ix := benchIndex(b, n)
			path := filepath.Join(b.TempDir(), rag.SnapshotName)
			if err := ix.Save(b.Context(), path); err != nil {
				b.Fatal(err)
			}
			var rep memoryReport
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestServeMemoryHelper$", "-test.count=1")
				cmd.Env = append(os.Environ(), memoryIndexEnv+"="+path)
				out, err := cmd.Output()
				if err != nil {
					b.Fatalf("helper: %v\n%s", err, out)
				}
				_, js, ok := bytes.Cut(out, []byte("memory-report "))
				if !ok {
					b.Fatalf("helper printed no report:\n%s", out)
				}
				if err := json.NewDecoder(bytes.NewReader(js)).Decode(&rep); err != nil {
					b.Fatal(err)
				}
			}
			per := func(v int64) float64 { return float64(v) / float64(rep.Chunks) }
			b.ReportMetric(rep.LoadSeconds*1000, "load-ms")
			b.ReportMetric(rep.AskP50ms, "ask-p50-ms")
			b.ReportMetric(per(rep.AfterLoad["VmRSS"]), "rssB/chunk-load")
			b.ReportMetric(per(rep.AfterLoad["RssAnon"]), "anonB/chunk-load")
			b.ReportMetric(per(rep.AfterQueries["VmRSS"]), "rssB/chunk-100q")
			b.ReportMetric(per(rep.AfterQueries["RssAnon"]), "anonB/chunk-100q")
			b.ReportMetric(per(rep.AfterQueries["VmHWM"]), "peakRssB/chunk")
			b.ReportMetric(per(rep.PeakAnon), "peakAnonB/chunk")
			b.ReportMetric(per(int64(rep.HeapAlloc)), "heapB/chunk")
		})
	}
}

// BenchmarkAsk reports the extractive Ask's latency percentiles over varied
// questions, and the heap the index took when built (an index built in
// memory holds its vectors on the heap; a loaded one maps them: see
// BenchmarkLoad and BenchmarkServeMemory).
func BenchmarkAsk(b *testing.B) {
	questions := []string{
		"quelle entreprise a piraté les serveurs", "attaque rançon mairie", "CVE-2024-3400 correctif",
		"qui a revendiqué l'attaque ?", "raquesé topi cuge", "les données des clients ont-elles fuité ?",
	}
	for _, n := range benchSizes(10000, 100000) {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			ix := benchIndex(b, n)
			eng := NewEngine(ix, nil, nil)
			var lat []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if _, err := eng.Ask(b.Context(), questions[i%len(questions)], rag.SearchOptions{}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(benchIndexHeap(n))/float64(ix.Chunks()), "heapB/chunk")
		})
	}
}

// BenchmarkIngest measures Add end to end (normalise, chunk, embed, store).
