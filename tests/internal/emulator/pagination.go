package emulator

import "strconv"

// pageOf returns the page of list that token starts (an offset; "" is the first page), at most size
// long, and the token of the next page ("" after the last). ok is false for a token that is not an
// offset into list. Every paginated call (NextToken, Marker) pages this way.
func pageOf[T any](list []T, token string, size int) (page []T, next string, ok bool) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(list) {
			return nil, "", false
		}
		start = n
	}
	end := min(start+size, len(list))
	if end < len(list) {
		next = strconv.Itoa(end)
	}
	return list[start:end], next, true
}

// pageSize returns the page size a call asked for (given; 0 when absent), def when it asked for
// none, and whether it is within [lo, hi].
func pageSize(given, def, lo, hi int) (int, bool) {
	if given == 0 {
		return def, true
	}
	return given, given >= lo && given <= hi
}
