// Package reports turns paid orders into the daily CSV that finance imports.
package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// Sale is one paid order, in cents, on the day it was paid.
type Sale struct {
	Day   string
	Cents int64
}

// DailyTotals adds up the sales of each day.
func DailyTotals(sales []Sale) map[string]int64 {
	totals := make(map[string]int64)
	for _, sale := range sales {
		totals[sale.Day] += sale.Cents
	}
	return totals
}

// WriteSummary writes one "day,orders,total" row per day, oldest day first.
func WriteSummary(w io.Writer, sales []Sale) error {
	counts := make(map[string]int)
	for _, sale := range sales {
		counts[sale.Day]++
	}
	totals := DailyTotals(sales)
	days := make([]string, 0, len(totals))
	for day := range totals {
		days = append(days, day)
	}
	sort.Strings(days)

	writer := csv.NewWriter(w)
	if err := writer.Write([]string{"day", "orders", "total"}); err != nil {
		return fmt.Errorf("writing header: %w", err)
	}
	for _, day := range days {
		row := []string{day, strconv.Itoa(counts[day]), formatCents(totals[day])}
		if err := writer.Write(row); err != nil {
			return fmt.Errorf("writing %s: %w", day, err)
		}
	}
	writer.Flush()
	return writer.Error()
}

func formatCents(cents int64) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}
