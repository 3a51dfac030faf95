using SlipsP2P.Detection.Behaviour;

namespace SlipsP2P.Detection.Detectors.MarkovModels;

/// <summary>
/// Markov-chain detection over the behavioural letters (Slips' <c>-m</c>, the Stratosphere IPS idea): each
/// established TCP/UDP tuple (source, destination, port, protocol) builds its letter string per time window, as the
/// profiler does; every symbol updates a running log-likelihood under each loaded model, so a tuple is scored in
/// O(models) per flow without rereading its string. From <see cref="DetectorOptions.MarkovMinLetters"/> letters on,
/// the closest model whose threshold the tuple is under wins; a model with an evidence type raises it (by default
/// COMMAND_AND_CONTROL_CHANNEL, HIGH, confidence min(1, letters / 100) as Slips' RNN), once per tuple and window,
/// a model of normal traffic raises nothing.
/// </summary>
public sealed class MarkovDetector : IDetector
{
    /// <summary>Models loaded at most.</summary>
    public const int MaxModels = 64;

    /// <summary>Tuples tracked at once; later new tuples are counted in <see cref="Dropped"/>.</summary>
    public const int MaxTuples = 262144;

    private readonly MarkovModel[] _models;
    private readonly Dictionary<TupleKey, TupleState> _tuples = new();

    /// <summary>Creates a detector over <paramref name="models"/>.</summary>
    public MarkovDetector(IReadOnlyList<MarkovModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count > MaxModels) throw new ArgumentException($"at most {MaxModels} models", nameof(models));
        _models = models.ToArray();
    }

    public string Name => "markov_models";

    public RecordKinds HandledKinds => RecordKinds.Flow;

    /// <summary>The models in use.</summary>
    public IReadOnlyList<MarkovModel> Models => _models;

    /// <summary>New tuples refused by <see cref="MaxTuples"/>.</summary>
    public long Dropped { get; private set; }

    /// <summary>Loads every <c>*.json</c> model of a directory, in name order; clear errors name the file.</summary>
    public static MarkovDetector FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new InvalidDataException($"{directory}: no such models directory");
        var files = Directory.GetFiles(directory, "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        var models = new List<MarkovModel>();
        foreach (var f in files)
        {
            // Other model kinds (the flow classifier) may share the directory; only Markov models are loaded here.
            if (!File.ReadAllText(f).Contains("slipsp2p-markov/1", StringComparison.Ordinal)) continue;
            if (models.Count >= MaxModels) throw new InvalidDataException($"{directory}: more than {MaxModels} models");
            models.Add(MarkovModel.Load(f));
        }

        if (models.Count == 0) throw new InvalidDataException($"{directory}: no Markov models (*.json with format slipsp2p-markov/1)");
        return new MarkovDetector(models);
    }

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (_models.Length == 0 || !flow.Established || flow.Protocol is not (Protocol.Tcp or Protocol.Udp)) return;
        if (flow.Source.IsNone || !Addresses.IsScanTarget(flow.Destination)) return;
        var key = new TupleKey(flow.Source, flow.Destination, flow.DestinationPort, flow.Protocol);
        if (!_tuples.TryGetValue(key, out var state))
        {
            if (_tuples.Count >= MaxTuples)
            {
                Dropped++;
                return;
            }

            state = new TupleState(_models.Length);
            _tuples[key] = state;
        }

        if (state.Window != ctx.TimeWindow) state.Reset(ctx.TimeWindow);
        state.Add(flow.Timestamp, flow.Duration, flow.TotalBytes, _models);
        if (flow.Uid.Length > 0 && state.Uids.Count < Evidence.MaxUids) state.Uids.Add(flow.Uid);
        if (state.Reported || state.Letters < ctx.Detectors.MarkovMinLetters) return;

        int best = Closest(state, out double distance);
        if (best < 0) return;
        var model = _models[best];
        if (model.EvidenceType.Length == 0) return;
        state.Reported = true;
        double confidence = Math.Round(Math.Min(1.0, state.Letters / 100.0), 2);
        ctx.Raise(new Evidence
        {
            Type = model.EvidenceType,
            Description = $"Behavioural model '{model.Label}' matches the tuple {flow.Destination}-{flow.DestinationPort}-{flow.Protocol.ToName()} of {flow.Source}: " +
                          $"{state.Letters} letters, distance {MarkovModel.Format(distance)} (threshold {MarkovModel.Format(model.Threshold)}). " +
                          $"Confidence: {Addresses.FormatConfidence(confidence)}.",
            Attacker = flow.Source,
            Victim = flow.Destination,
            ThreatLevel = model.ThreatLevel,
            Confidence = confidence,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Port = flow.DestinationPort,
            Method = "Model",
            Uids = state.Uids.ToArray(),
        });
    }

    /// <summary>The closest model under its threshold, or -1.</summary>
    private int Closest(TupleState state, out double distance)
    {
        int best = -1;
        distance = double.PositiveInfinity;
        if (state.Transitions == 0) return -1;
        for (int m = 0; m < _models.Length; m++)
        {
            double d = -state.LogLikelihood[m] / state.Transitions;
            if (d <= _models[m].Threshold && d < distance)
            {
                distance = d;
                best = m;
            }
        }

        return best;
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window) => TupleStates.EvictBefore(_tuples, window);

    /// <summary>One tuple in one window: the letter encoder's history and the running log-likelihood per model.</summary>
    private sealed class TupleState(int models) : IWindowedState
    {
        private double _last = double.NaN;
        private double _lastLast = double.NaN;
        private int _previous = -1;

        public int Window { get; private set; } = -1;

        public double[] LogLikelihood { get; } = new double[models];

        public long Transitions { get; private set; }

        public long Letters { get; private set; }

        public bool Reported { get; set; }

        public List<string> Uids { get; } = new();

        public void Reset(int window)
        {
            Window = window;
            _last = _lastLast = double.NaN;
            _previous = -1;
            Array.Clear(LogLikelihood);
            Transitions = 0;
            Letters = 0;
            Reported = false;
            Uids.Clear();
        }

        /// <summary>Appends the flow's symbols as <see cref="TupleLetters.Add"/> writes them (a run of '0' counts at most 24).</summary>
        public void Add(double timestamp, double duration, long bytes, MarkovModel[] models)
        {
            int periodicity = -1;
            int zeros = 0;
            char? timeChar = null;
            if (!double.IsNaN(_last) && !double.IsNaN(_lastLast))
            {
                double t1 = _last - _lastLast;
                double t2 = timestamp - _last;
                if (t2 >= StratosphereLetters.HourSeconds) zeros = (int)Math.Min(TupleLetters.MaxLength, t2 / StratosphereLetters.HourSeconds);
                periodicity = StratosphereLetters.Periodicity(t1, t2);
                timeChar = StratosphereLetters.TimeChar(t2);
            }

            _lastLast = _last;
            _last = timestamp;
            Letters++;
            for (int i = 0; i < Math.Min(zeros, 24); i++) Append('0', models);
            Append(StratosphereLetters.Letter(periodicity, StratosphereLetters.SizeBand(bytes), StratosphereLetters.DurationBand(duration)), models);
            if (timeChar.HasValue) Append(timeChar.Value, models);
        }

        private void Append(char symbol, MarkovModel[] models)
        {
            int i = MarkovModel.IndexOf(symbol);
            if (_previous >= 0 && i >= 0)
            {
                for (int m = 0; m < models.Length; m++) LogLikelihood[m] += models[m].LogProbability(_previous, i);
                Transitions++;
            }

            _previous = i;
        }
    }
}
