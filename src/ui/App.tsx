export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>LoRA Fleet Planner</h1>
      </header>
      <main className="app-main" aria-label="Planner workspace" />
    </div>
  );
}
