// SPDX-License-Identifier: MIT
// post_load.go - the Go bench client (issue 12): sequential keep-alive HTTPS
// POSTs through net/http and crypto/tls (the (*Conn).Write/Read the agent's Go
// path hooks), so bench/run-capture.sh can measure what watching a Go client
// costs. Standard library only; run-capture.sh builds it offline with golang-go.
//
// usage: post_load -port N -ca FILE -size BYTES -seconds S [-host NAME] [-path P] [-go FILE]
// prints {"requests":N,"seconds":S,"rps":R,"cpu_us_per_req":C}
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

func cpuMicros() float64 {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Sec+u.Stime.Sec)*1e6 + float64(u.Utime.Usec+u.Stime.Usec)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "post_load:", err)
	os.Exit(1)
}

// client trusts only the CA in caFile and dials 127.0.0.1, whatever the name:
// bench traffic stays on loopback.
func client(caFile string) *http.Client {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fail(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fail(fmt.Errorf("no certificate in %s", caFile))
	}
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		return (&net.Dialer{}).DialContext(ctx, "tcp4", net.JoinHostPort("127.0.0.1", port))
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: dial, MaxIdleConnsPerHost: 1}}
}

func once(c *http.Client, url string, body []byte) error {
	res, err := c.Post(url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return err
	}
	// read to the end, or the connection is not reused
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil && res.StatusCode != 200 {
		err = fmt.Errorf("status %d", res.StatusCode)
	}
	return err
}

func main() {
	host := flag.String("host", "localhost", "server name (SNI, certificate, Host)")
	port := flag.Int("port", 0, "server port on 127.0.0.1")
	path := flag.String("path", "/bench", "request path")
	ca := flag.String("ca", "", "PEM file of the server's certificate")
	goFile := flag.String("go", "", "start once this file exists")
	size := flag.Int("size", 1024, "request body bytes")
	seconds := flag.Float64("seconds", 5, "how long to run")
	flag.Parse()
	if *port <= 0 || *ca == "" || *size < 0 || *seconds <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	c := client(*ca)
	for *goFile != "" {
		if _, err := os.Stat(*goFile); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	url := fmt.Sprintf("https://%s:%d%s", *host, *port, *path)
	body := bytes.Repeat([]byte{'y'}, *size)
	start := time.Now()
	end := start.Add(time.Duration(*seconds * float64(time.Second)))
	cpu0 := cpuMicros()
	n := 0
	for time.Now().Before(end) {
		if err := once(c, url, body); err != nil {
			fail(fmt.Errorf("request %d: %w", n+1, err))
		}
		n++
	}
	s := time.Since(start).Seconds()
	cpu := 0.0
	if n > 0 {
		cpu = (cpuMicros() - cpu0) / float64(n)
	}
	fmt.Printf("{\"requests\":%d,\"seconds\":%.3f,\"rps\":%.1f,\"cpu_us_per_req\":%.1f}\n",
		n, s, float64(n)/s, cpu)
}
