// Rendering a component for a test: a fresh query client whose cache the test fills (nothing is
// fetched while the data is fresh), and the router some components link with.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";

export function renderWith(ui: ReactElement, seed: [readonly unknown[], unknown][] = []) {
  const queries = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  for (const [key, data] of seed) queries.setQueryData(key, data);
  const wrap = (node: ReactElement) => (
    <QueryClientProvider client={queries}>
      <MemoryRouter>{node}</MemoryRouter>
    </QueryClientProvider>
  );
  const result = render(wrap(ui));
  return { ...result, queries, rerender: (node: ReactElement) => result.rerender(wrap(node)) };
}
