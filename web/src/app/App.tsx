// Providers and routes: `/` and `/s/:sessionId` (with `?tabs=` for the active tab of each pane).
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter } from "react-router";
import { RouterProvider } from "react-router/dom";
import { Shell } from "./Shell";

const queries = new QueryClient({
  defaultOptions: {
    // Live frames refresh what changes; a refetch on every focus would only add load.
    queries: { refetchOnWindowFocus: false, retry: 1, staleTime: 30_000 },
  },
});

const router = createBrowserRouter([
  { path: "/", element: <Shell /> },
  { path: "/s/:sessionId", element: <Shell /> },
]);

export function App() {
  return (
    <QueryClientProvider client={queries}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
